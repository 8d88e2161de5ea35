/**
 * The last `capacity` bytes a terminal printed, as the chunks they arrived in. Old bytes are dropped
 * as new ones come, so a session nobody watches holds at most `capacity` however much it prints.
 */
export class Scrollback {
  private chunks: Buffer[] = [];
  /** Index of the oldest live chunk; dropped chunks before it are compacted away in batches. */
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {}

  get bytes(): number {
    return this.size;
  }

  push(data: Buffer): void {
    if (data.length >= this.capacity) {
      this.chunks = [data.subarray(data.length - this.capacity)];
      this.head = 0;
      this.size = this.capacity;
      return;
    }
    this.chunks.push(data);
    this.size += data.length;
    while (this.size > this.capacity) {
      const oldest = this.chunks[this.head]!;
      const excess = this.size - this.capacity;
      if (oldest.length <= excess) {
        this.head++;
        this.size -= oldest.length;
      } else {
        this.chunks[this.head] = oldest.subarray(excess);
        this.size -= excess;
      }
    }
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** What is held now, oldest first. The chunks are shared, not copied: they are never written to. */
  snapshot(): Buffer[] {
    return this.chunks.slice(this.head);
  }
}
