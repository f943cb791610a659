// Redis records of every Redis oracle capture (DeepFlow, Zeek) against the tools' outputs.
import { oracleSuite } from './suite.ts';

await oracleSuite('redis', 'Redis');
