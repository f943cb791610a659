// HTTP/1.x records of every HTTP/1.x oracle capture (DeepFlow, Zeek, Suricata, Arkime, nDPI) against the tools' outputs.
import { oracleSuite } from './suite.ts';

await oracleSuite('http1', 'HTTP/1.x');
