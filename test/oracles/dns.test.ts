// DNS records of every DNS oracle capture (DeepFlow, Zeek, Suricata, Arkime, nDPI) against the tools' outputs.
import { oracleSuite } from './suite.ts';

await oracleSuite('dns', 'DNS');
