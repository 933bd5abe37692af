import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { consoleAsset } from '../shared/console';
import { answerFailure, jsonResponse, methodNotAllowed } from './http';

/**
 * GET /api/console/ui/ and its assets: the archive console's page, stylesheet and browser modules. They hold no data
 * (everything the page shows comes from consoleApi, behind the caller check), so this function takes no key: the page
 * must load before it can send one. The page is framed by nobody and refers to nothing outside this app.
 */
export async function consolePage(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    if (request.method.toUpperCase() !== 'GET') return methodNotAllowed(request.method, ['GET']);
    const url = new URL(request.url);
    // The page's assets and API are relative to `ui/`: without the slash they would resolve one level up.
    if (!request.params.asset && !url.pathname.endsWith('/')) {
      return { status: 301, headers: { Location: `${url.pathname}/${url.search}` } };
    }
    const asset = await consoleAsset(request.params.asset ?? '');
    if (!asset) return jsonResponse(404, { error: { code: 'NoSuchAsset', message: 'no such console asset' } });
    return {
      status: 200,
      body: asset.body,
      headers: {
        'Content-Type': asset.contentType,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        // NOTE: media-src must allow the blob endpoint the signed chunk URLs point at (another origin).
        'Content-Security-Policy':
          "default-src 'self'; media-src 'self' https: http://127.0.0.1:* blob:; img-src 'self' data:; frame-ancestors 'none'",
      },
    };
  } catch (error) {
    return answerFailure('console', error, context);
  }
}

app.http('console', {
  route: 'console/ui/{*asset}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: consolePage,
});
