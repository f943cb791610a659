/**
 * @module protocols/dns/testing
 * A byte builder for DNS messages in tests (RFC 1035 section 4.1 layout), for the cases no real
 * client sends: compression loops, extended rcodes, many answers.
 */
export class DnsBuilder {
  private readonly out: number[] = [];

  get offset(): number {
    return this.out.length;
  }

  header(h: { id: number; flags: number; qd: number; an: number; ns?: number; ar?: number }): this {
    return this.u16(h.id).u16(h.flags).u16(h.qd).u16(h.an).u16(h.ns ?? 0).u16(h.ar ?? 0);
  }

  u8(...values: number[]): this {
    this.out.push(...values);
    return this;
  }

  u16(value: number): this {
    return this.u8((value >> 8) & 0xff, value & 0xff);
  }

  u32(value: number): this {
    return this.u16((value >>> 16) & 0xffff).u16(value & 0xffff);
  }

  /** Labels of `name` ("f.isi.arpa"), then a terminating zero unless `pointer` ends the name. */
  name(name: string, pointer?: number): this {
    for (const label of name.split('.').filter((l) => l.length > 0)) {
      this.u8(label.length, ...Buffer.from(label, 'latin1'));
    }
    return pointer === undefined ? this.u8(0) : this.pointer(pointer);
  }

  pointer(offset: number): this {
    return this.u16(0xc000 | offset);
  }

  question(name: string, type: number, qclass = 1): this {
    return this.name(name).u16(type).u16(qclass);
  }

  /** A record whose owner is a pointer to `owner`, with raw RDATA. */
  record(owner: number, type: number, rdata: number[], ttl = 60): this {
    return this.pointer(owner).u16(type).u16(1).u32(ttl).u16(rdata.length).u8(...rdata);
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }

  /** The message behind a TCP length prefix. */
  tcp(): Uint8Array {
    const body = this.bytes();
    const out = new Uint8Array(body.length + 2);
    out[0] = body.length >> 8;
    out[1] = body.length & 0xff;
    out.set(body, 2);
    return out;
  }
}
