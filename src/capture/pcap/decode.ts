/**
 * @module capture/pcap/decode
 * Decodes one captured packet down to its TCP segment or UDP datagram: link layer (Ethernet with
 * stacked VLAN tags, PPPoE or MPLS; Linux cooked SLL/SLL2; raw IP; BSD loopback), IPv4 and IPv6 (walking
 * extension headers), then the TCP or UDP header. Reads through a DataView at absolute offsets
 * into the reader's chunk and fills one reusable DecodedPacket: nothing is copied or allocated.
 * Never throws: every read is bounds-checked and a bad packet yields a status.
 */
import {
  LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP,
  LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_RAW_DLT12, LINKTYPE_RAW_DLT14,
} from './link-types.ts';

/** Outcome of decoding one packet. Everything but OK names the counter the caller bumps. */
export const Decode = {
  OK: 0,
  /** Not IPv4/IPv6 (ARP, LLDP, ...). */
  NON_IP: 1,
  /** An IP fragment other than the first: without reassembly it carries no usable header. */
  FRAGMENT: 2,
  /** The snap length cut the packet inside its headers. */
  TRUNCATED: 3,
  /** Headers that contradict themselves (lengths shorter than the header, wrong IP version). */
  MALFORMED: 4,
  /** IP, but neither TCP nor UDP (ICMP, ESP, ...). */
  OTHER_TRANSPORT: 5,
  UNSUPPORTED_LINK_TYPE: 6,
} as const;
export type DecodeStatus = (typeof Decode)[keyof typeof Decode];

/** Counter names for each non-OK status. */
export const DECODE_COUNTER: Readonly<Record<DecodeStatus, string>> = {
  0: 'capture.decoded_packets',
  1: 'capture.non_ip',
  2: 'capture.ip_fragments',
  3: 'capture.truncated_headers',
  4: 'capture.malformed_packets',
  5: 'capture.other_transport',
  6: 'capture.unsupported_link_type',
};

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const MAX_VLAN_TAGS = 8;
const MAX_IPV6_EXTENSIONS = 16;

/** The decoded headers of one packet. Reused for every packet: copy what you keep. */
export class DecodedPacket {
  ipVersion: 4 | 6 = 4;
  protocol = 0;
  /** Source and destination addresses as 32-bit words: one word for IPv4, four for IPv6. */
  src0 = 0; src1 = 0; src2 = 0; src3 = 0;
  dst0 = 0; dst1 = 0; dst2 = 0; dst3 = 0;
  srcPort = 0;
  dstPort = 0;
  /** TCP only. */
  seq = 0;
  ack = 0;
  flags = 0;
  /** Offset of the transport payload in the chunk. */
  payloadOffset = 0;
  /** Payload bytes present in the capture (the snap length may have cut the rest). */
  payloadCaptured = 0;
  /** Payload bytes sent, from the IP and UDP lengths. */
  payloadLength = 0;
  /** True for the first fragment of a fragmented datagram: the payload continues elsewhere. */
  firstFragment = false;
}

/**
 * Decode the packet at buf[offset, offset + capturedLength). `originalLength` is used only where
 * the IP length is zero (segmentation offload captured before the NIC split the packet).
 */
export function decodePacket(
  linkType: number, view: DataView, offset: number, capturedLength: number, originalLength: number, out: DecodedPacket,
): DecodeStatus {
  const end = offset + capturedLength;
  let pos = offset;
  let etherType: number;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      if (capturedLength < 14) return Decode.TRUNCATED;
      etherType = view.getUint16(offset + 12);
      pos = offset + 14;
      break;
    case LINKTYPE_LINUX_SLL:
      if (capturedLength < 16) return Decode.TRUNCATED;
      etherType = view.getUint16(offset + 14);
      pos = offset + 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (capturedLength < 20) return Decode.TRUNCATED;
      etherType = view.getUint16(offset);
      pos = offset + 20;
      break;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (capturedLength < 4) return Decode.TRUNCATED;
      // The address family is in the capturing host's byte order (NULL) or network order (LOOP);
      // both are accepted for both, since the family values are all below 256.
      let family = view.getUint32(offset);
      if (family > 0xffff) family = view.getUint32(offset, true);
      pos = offset + 4;
      if (family === 2) etherType = ETHERTYPE_IPV4;
      // AF_INET6 is 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS.
      else if (family === 10 || family === 24 || family === 28 || family === 30) etherType = ETHERTYPE_IPV6;
      else return Decode.NON_IP;
      break;
    }
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_DLT12:
    case LINKTYPE_RAW_DLT14: {
      if (capturedLength < 1) return Decode.TRUNCATED;
      const version = view.getUint8(offset) >> 4;
      if (version === 4) etherType = ETHERTYPE_IPV4;
      else if (version === 6) etherType = ETHERTYPE_IPV6;
      else return Decode.NON_IP;
      break;
    }
    case LINKTYPE_IPV4:
      etherType = ETHERTYPE_IPV4;
      break;
    case LINKTYPE_IPV6:
      etherType = ETHERTYPE_IPV6;
      break;
    default:
      return Decode.UNSUPPORTED_LINK_TYPE;
  }
  for (let tags = 0; etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_OLD; tags++) {
    if (tags === MAX_VLAN_TAGS) return Decode.MALFORMED;
    if (end - pos < 4) return Decode.TRUNCATED;
    etherType = view.getUint16(pos + 2);
    pos += 4;
  }
  if (etherType === ETHERTYPE_PPPOE_SESSION) {
    // PPPoE session header (6 bytes), then the PPP protocol number.
    if (end - pos < 8) return Decode.TRUNCATED;
    const ppp = view.getUint16(pos + 6);
    pos += 8;
    if (ppp === PPP_IPV4) etherType = ETHERTYPE_IPV4;
    else if (ppp === PPP_IPV6) etherType = ETHERTYPE_IPV6;
    else return Decode.NON_IP;
  } else if (etherType === ETHERTYPE_MPLS || etherType === ETHERTYPE_MPLS_MULTICAST) {
    // Labels up to the one with the bottom-of-stack bit; the payload names its IP version.
    for (let labels = 0; ; labels++) {
      if (labels === MAX_VLAN_TAGS) return Decode.MALFORMED;
      if (end - pos < 4) return Decode.TRUNCATED;
      const bottom = (view.getUint8(pos + 2) & 1) === 1;
      pos += 4;
      if (bottom) break;
    }
    if (end - pos < 1) return Decode.TRUNCATED;
    const version = view.getUint8(pos) >> 4;
    if (version === 4) etherType = ETHERTYPE_IPV4;
    else if (version === 6) etherType = ETHERTYPE_IPV6;
    else return Decode.NON_IP;
  }
  // Bytes the link layer says were on the wire after its header (for zero IP lengths).
  const wireAfterLink = originalLength - (pos - offset);
  if (etherType === ETHERTYPE_IPV4) return decodeIpv4(view, pos, end, wireAfterLink, out);
  if (etherType === ETHERTYPE_IPV6) return decodeIpv6(view, pos, end, wireAfterLink, out);
  return Decode.NON_IP;
}

function decodeIpv4(view: DataView, pos: number, end: number, wireLength: number, out: DecodedPacket): DecodeStatus {
  if (end - pos < 20) return Decode.TRUNCATED;
  const vihl = view.getUint8(pos);
  if (vihl >> 4 !== 4) return Decode.MALFORMED;
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < 20) return Decode.MALFORMED;
  let total = view.getUint16(pos + 2);
  // Zero: a TSO super-packet captured before segmentation; the wire length is all we have.
  if (total === 0) total = wireLength;
  if (total < ihl) return Decode.MALFORMED;
  const frag = view.getUint16(pos + 6);
  if ((frag & 0x1fff) !== 0) return Decode.FRAGMENT;
  out.firstFragment = (frag & 0x2000) !== 0;
  if (end - pos < ihl) return Decode.TRUNCATED;
  out.ipVersion = 4;
  out.protocol = view.getUint8(pos + 9);
  out.src0 = view.getUint32(pos + 12);
  out.dst0 = view.getUint32(pos + 16);
  out.src1 = out.src2 = out.src3 = out.dst1 = out.dst2 = out.dst3 = 0;
  return decodeTransport(view, pos + ihl, end, total - ihl, out);
}

function decodeIpv6(view: DataView, pos: number, end: number, wireLength: number, out: DecodedPacket): DecodeStatus {
  if (end - pos < 40) return Decode.TRUNCATED;
  if (view.getUint8(pos) >> 4 !== 6) return Decode.MALFORMED;
  let remaining = view.getUint16(pos + 4);
  // Zero: a jumbogram or an offloaded super-packet; the wire length is all we have.
  if (remaining === 0) remaining = Math.max(0, wireLength - 40);
  let next = view.getUint8(pos + 6);
  out.ipVersion = 6;
  out.src0 = view.getUint32(pos + 8);
  out.src1 = view.getUint32(pos + 12);
  out.src2 = view.getUint32(pos + 16);
  out.src3 = view.getUint32(pos + 20);
  out.dst0 = view.getUint32(pos + 24);
  out.dst1 = view.getUint32(pos + 28);
  out.dst2 = view.getUint32(pos + 32);
  out.dst3 = view.getUint32(pos + 36);
  out.firstFragment = false;
  pos += 40;
  for (let i = 0; ; i++) {
    if (next === PROTO_TCP || next === PROTO_UDP) break;
    if (i === MAX_IPV6_EXTENSIONS) return Decode.MALFORMED;
    let length: number;
    switch (next) {
      case 0: // hop-by-hop options
      case 43: // routing
      case 60: // destination options
      case 135: // mobility
      case 139: // HIP
      case 140: // shim6
        if (end - pos < 2) return Decode.TRUNCATED;
        length = (view.getUint8(pos + 1) + 1) * 8;
        break;
      case 51: // authentication header: length in 4-byte units, minus 2
        if (end - pos < 2) return Decode.TRUNCATED;
        length = (view.getUint8(pos + 1) + 2) * 4;
        break;
      case 44: { // fragment
        if (end - pos < 8) return Decode.TRUNCATED;
        const frag = view.getUint16(pos + 2);
        if (frag >> 3 !== 0) return Decode.FRAGMENT;
        if (frag & 1) out.firstFragment = true;
        length = 8;
        break;
      }
      default: // ESP, no-next-header, ICMPv6, anything else
        out.protocol = next;
        return Decode.OTHER_TRANSPORT;
    }
    if (remaining < length) return Decode.MALFORMED;
    if (end - pos < length) return Decode.TRUNCATED;
    next = view.getUint8(pos);
    pos += length;
    remaining -= length;
  }
  out.protocol = next;
  return decodeTransport(view, pos, end, remaining, out);
}

/** `length`: transport header + payload bytes according to the IP header. */
function decodeTransport(view: DataView, pos: number, end: number, length: number, out: DecodedPacket): DecodeStatus {
  if (out.protocol === PROTO_TCP) {
    if (length < 20) return Decode.MALFORMED;
    if (end - pos < 20) return Decode.TRUNCATED;
    out.srcPort = view.getUint16(pos);
    out.dstPort = view.getUint16(pos + 2);
    out.seq = view.getUint32(pos + 4);
    out.ack = view.getUint32(pos + 8);
    const dataOffset = (view.getUint8(pos + 12) >> 4) * 4;
    out.flags = view.getUint8(pos + 13);
    if (dataOffset < 20 || dataOffset > length) return Decode.MALFORMED;
    out.payloadOffset = pos + dataOffset;
    out.payloadLength = length - dataOffset;
  } else if (out.protocol === PROTO_UDP) {
    if (length < 8) return Decode.MALFORMED;
    if (end - pos < 8) return Decode.TRUNCATED;
    out.srcPort = view.getUint16(pos);
    out.dstPort = view.getUint16(pos + 2);
    const udpLength = view.getUint16(pos + 4);
    out.seq = out.ack = out.flags = 0;
    out.payloadOffset = pos + 8;
    if (udpLength === 0) {
      out.payloadLength = length - 8; // IPv6 jumbogram
    } else if (udpLength < 8) {
      return Decode.MALFORMED;
    } else {
      // A first fragment holds part of the datagram: the UDP length tells the whole size.
      out.payloadLength = out.firstFragment ? udpLength - 8 : Math.min(udpLength, length) - 8;
    }
  } else {
    return Decode.OTHER_TRANSPORT;
  }
  // Captured bytes stop at the snap length, and never include link-layer padding or trailers.
  const available = end - out.payloadOffset;
  const ipAvailable = out.firstFragment && out.protocol === PROTO_UDP ? length - 8 : out.payloadLength;
  if (available <= 0) {
    // Options or the payload start past the captured bytes: nothing of the payload is here.
    out.payloadOffset = end;
    out.payloadCaptured = 0;
  } else {
    out.payloadCaptured = Math.min(available, ipAvailable, out.payloadLength);
  }
  return Decode.OK;
}

/** Dotted-quad or RFC 5952 text for the source (`which` 0) or destination (1) of a packet. */
export function addressText(p: DecodedPacket, which: 0 | 1): string {
  if (p.ipVersion === 4) return ipv4Text(which === 0 ? p.src0 : p.dst0);
  return which === 0 ? ipv6Text(p.src0, p.src1, p.src2, p.src3) : ipv6Text(p.dst0, p.dst1, p.dst2, p.dst3);
}

export function ipv4Text(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

export function ipv6Text(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // IPv4-mapped addresses keep their dotted tail, as RFC 5952 section 5 recommends.
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${ipv4Text(w3)}`;
  // The longest run of two or more zero groups becomes "::" (the first such run on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => g.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}
