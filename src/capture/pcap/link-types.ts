/**
 * @module capture/pcap/link-types
 * Link-layer header types (the LINKTYPE_* registry of tcpdump.org) that flowscope decodes, and
 * names for the common ones it does not, so errors can say what a capture holds.
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
/** DLT_RAW's value on most BSDs and Linux; old pcap files wrote it instead of 101. */
export const LINKTYPE_RAW_DLT12 = 12;
/** DLT_RAW's value on OpenBSD; old pcap files wrote it instead of 101. */
export const LINKTYPE_RAW_DLT14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const SUPPORTED: ReadonlySet<number> = new Set([
  LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW_DLT12, LINKTYPE_RAW_DLT14, LINKTYPE_RAW, LINKTYPE_LOOP,
  LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2,
]);

const NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'NULL (BSD loopback)'], [1, 'ETHERNET'], [6, 'IEEE802_5 (Token Ring)'], [9, 'PPP'], [10, 'FDDI'],
  [12, 'RAW (DLT_RAW)'], [14, 'RAW (OpenBSD DLT_RAW)'], [50, 'PPP_HDLC'], [51, 'PPP_ETHER'], [101, 'RAW'],
  [104, 'C_HDLC'], [105, 'IEEE802_11 (Wi-Fi)'], [108, 'LOOP (OpenBSD loopback)'], [113, 'LINUX_SLL'],
  [127, 'IEEE802_11_RADIOTAP (Wi-Fi with radiotap)'], [147, 'USER0'], [187, 'BLUETOOTH_HCI_H4'],
  [189, 'USB_LINUX'], [192, 'PPI'], [195, 'IEEE802_15_4'], [215, 'NETLINK'], [220, 'USB_LINUX_MMAPPED'],
  [228, 'IPV4'], [229, 'IPV6'], [249, 'USBPCAP'], [253, 'NETLINK'], [276, 'LINUX_SLL2'],
]);

export function isSupportedLinkType(linkType: number): boolean {
  return SUPPORTED.has(linkType);
}

/** "LINUX_SLL (113)", or "link type 147" for types without a name here. */
export function linkTypeName(linkType: number): string {
  const name = NAMES.get(linkType);
  return name ? `${name} (${linkType})` : `link type ${linkType}`;
}

export const SUPPORTED_LINK_TYPES_TEXT =
  'Ethernet (1), BSD loopback (0, 108), raw IP (12, 14, 101, 228, 229), Linux cooked SLL (113) and SLL2 (276)';
