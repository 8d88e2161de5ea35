const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A byte count in the largest binary unit (KiB, MiB, …) it reaches, for the caller to print. */
export function binarySize(bytes: number): { value: number; unit: (typeof UNITS)[number] } {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return { value, unit: UNITS[unit]! };
}

/** A byte count as a person reads it: `512 bytes`, `32 MiB`, `1.9 GiB`. */
export function binarySizeText(bytes: number): string {
  const { value, unit } = binarySize(bytes);
  return unit === 'B' ? `${value} bytes` : `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}
