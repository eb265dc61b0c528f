import type { Response } from 'express'

/**
 * Headers for pages the portal frames. `frame-ancestors` names exactly the portal's own origin (from our
 * store or the OAuth answer, never from the request), or nobody when we do not know the portal.
 */
export function setFramedPageHeaders(res: Response, portalOrigin: string | null): void {
  const ancestors = portalOrigin ?? "'none'"
  const portal = portalOrigin ? ` ${portalOrigin}` : ''
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "script-src 'self'",
      // The UI kit sets inline style attributes; scripts stay strict.
      "style-src 'self' 'unsafe-inline'",
      `img-src 'self' data: blob:${portal}`,
      // b24jssdk in the frame calls the portal's REST directly.
      `connect-src 'self'${portal}`,
      "font-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      `frame-ancestors ${ancestors}`,
    ].join('; '),
  )
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('Cache-Control', 'no-store')
}

export function originOf(clientEndpoint: string): string {
  return new URL(clientEndpoint).origin
}
