/** Field elements as bytes: 32 bytes each, little-endian, canonical (below r), as trees and snapshots keep them. */

export const FIELD_BYTES = 32;

const MASK64 = (1n << 64n) - 1n;

export function writeField(buffer: Uint8Array, offset: number, value: bigint): void {
  const view = new DataView(buffer.buffer, buffer.byteOffset + offset, FIELD_BYTES);
  let x = value;
  for (let i = 0; i < 4; i++) {
    view.setBigUint64(i * 8, x & MASK64, true);
    x >>= 64n;
  }
}

export function readField(buffer: Uint8Array, offset: number): bigint {
  const view = new DataView(buffer.buffer, buffer.byteOffset + offset, FIELD_BYTES);
  return (
    view.getBigUint64(0, true) |
    (view.getBigUint64(8, true) << 64n) |
    (view.getBigUint64(16, true) << 128n) |
    (view.getBigUint64(24, true) << 192n)
  );
}
