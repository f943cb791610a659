/**
 * @module capture/pcap/replay
 * The offline capture source: reads pcap/pcapng files in order and feeds every TCP/UDP packet
 * through one flow tracker, so connection-stream events reach the sink exactly as a live capture
 * would send them (and a connection that continues from one file into the next stays one
 * connection).
 *
 * Errors: a file that cannot be used raises a CaptureError naming it. Replay stops at that file;
 * everything before the problem (including the packets of a truncated or corrupt file before the
 * damage) has been delivered, and every open connection has been closed ('end'), before the
 * error is raised. A pcap file whose link type is not decoded is an error; in a pcapng file, an
 * interface of an unsupported link type only has its packets counted
 * ('capture.unsupported_link_type'), unless no interface is usable, which is an error.
 */
import type { StreamEventSink } from '../../streams/events.ts';
import type { Counters } from '../../util/counters.ts';
import { Decode, DECODE_COUNTER, DecodedPacket, decodePacket } from './decode.ts';
import { FlowTracker } from './flows.ts';
import type { FlowTrackerOptions } from './flows.ts';
import { readCaptureFile } from './reader.ts';
import type { PacketRecord } from './reader.ts';

export { CaptureError } from './errors.ts';
export type { CaptureErrorCode } from './errors.ts';

export interface ReplayOptions extends FlowTrackerOptions {
  /** Bytes read from a file at a time. Default 2 MiB. */
  chunkSize?: number;
}

export interface ReplaySummary {
  files: number;
  packets: number;
}

/**
 * Replay capture files into `sink`, in the order given. `pause`, when given, is awaited between
 * chunks of input so a slow consumer can apply backpressure. Counters (prefix `capture.`) count
 * packets, what could not be decoded and why, and every TCP anomaly met.
 *
 * @example
 *   const table = new ConnectionTable(onRecord, { counters });
 *   await replayFiles(['a.pcapng', 'b.pcap'], table, counters);
 *   table.flush();
 */
export async function replayFiles(
  paths: readonly string[],
  sink: StreamEventSink,
  counters: Counters,
  pause?: () => Promise<void> | void,
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const tracker = new FlowTracker(sink, counters, options);
  const packet = new DecodedPacket();
  const statuses = [0, 0, 0, 0, 0, 0, 0];
  let packets = 0;
  let firstFragments = 0;

  const onPacket = (rec: PacketRecord): void => {
    packets++;
    const status = decodePacket(rec.linkType, rec.view, rec.offset, rec.capturedLength, rec.originalLength, packet);
    if (status !== Decode.OK) {
      statuses[status]!++;
      return;
    }
    if (packet.firstFragment) firstFragments++;
    tracker.packet(packet, rec.buf, rec.time);
  };

  // Counted locally on the hot path, published between chunks.
  let published = 0;
  const publish = (): void => {
    counters.add('capture.packets', packets - published);
    published = packets;
    for (let s = 1; s < statuses.length; s++) {
      if (statuses[s]! > 0) counters.add(DECODE_COUNTER[s as keyof typeof DECODE_COUNTER], statuses[s]!);
      statuses[s] = 0;
    }
    if (firstFragments > 0) counters.add('capture.ip_first_fragments', firstFragments);
    firstFragments = 0;
  };
  const betweenChunks = async (): Promise<void> => {
    publish();
    if (pause) await pause();
  };

  let files = 0;
  try {
    for (const path of paths) {
      const summary = await readCaptureFile(path, onPacket, { chunkSize: options.chunkSize, betweenChunks });
      files++;
      counters.add('capture.files');
      if (summary.unsupportedLinkTypePackets > 0) counters.add(DECODE_COUNTER[Decode.UNSUPPORTED_LINK_TYPE], summary.unsupportedLinkTypePackets);
    }
  } finally {
    publish();
    tracker.finish();
  }
  return { files, packets };
}
