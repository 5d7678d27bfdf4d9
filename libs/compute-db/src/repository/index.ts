import type { PrismaClient } from '../db/generated/client.js';
import { BdmRepository } from './bdms.js';
import { ComputeNodeRepository } from './compute-nodes.js';
import { FaultRepository } from './faults.js';
import { FlavorRepository } from './flavors.js';
import { InstanceRepository } from './instances.js';

/** The compute database's operations, one repository per aggregate. */
export class ComputeRepository {
  readonly flavors: FlavorRepository;
  readonly instances: InstanceRepository;
  readonly faults: FaultRepository;
  readonly bdms: BdmRepository;
  readonly computeNodes: ComputeNodeRepository;

  constructor(client: PrismaClient) {
    this.flavors = new FlavorRepository(client);
    this.instances = new InstanceRepository(client);
    this.faults = new FaultRepository(client);
    this.bdms = new BdmRepository(client);
    this.computeNodes = new ComputeNodeRepository(client);
  }
}

export { FlavorRepository, InstanceRepository, FaultRepository, BdmRepository, ComputeNodeRepository };
export { MarkerNotFound } from './errors.js';
export { instanceName } from './mappers.js';
