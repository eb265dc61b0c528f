import jsqr from 'jsqr'
import { PNG } from 'pngjs'

// jsqr is CommonJS: under NodeNext its default export is the module; at run time it may be the function itself.
const jsQR = ((jsqr as unknown as { default?: typeof jsqr.default }).default ?? jsqr) as unknown as typeof jsqr.default

/** The text a PNG's QR code holds (an image file, or a screenshot of one), or null when none is read. */
export function decodeQrPng(png: Buffer): string | null {
  const image = PNG.sync.read(png)
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null
}
