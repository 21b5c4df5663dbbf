/** ClickHouse's quantileExact: the value at position ⌊q·n⌋ of the sorted values. */
export function quantileExact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}
