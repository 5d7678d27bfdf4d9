/**
 * The payloads of the scheduler RPC API, as plain JSON dicts (arg names snake_case like nova).
 * Type aliases rather than interfaces, so they are assignable to the client's JSON argument type.
 */

/** A flavor as the request spec carries it (nova's Flavor object, the fields the miniature uses). */
export type Flavor = {
  flavorid: string;
  name: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  /** MB, as in nova. */
  swap: number;
};

/** What the api asks the scheduler to place (a small nova RequestSpec). */
export type RequestSpec = {
  instance_uuid: string;
  project_id: string;
  flavor: Flavor;
  /** null: any zone. */
  availability_zone: string | null;
  /** Hosts not to pick (a reschedule excludes the host that failed). */
  ignore_hosts: string[];
  num_instances: number;
};

/** One destination per instance uuid (nova's Selection, the fields compute needs). */
export type Selection = {
  service_host: string;
  nodename: string;
  limits: Record<string, number>;
};

/** A compute host's resources, fanout-cast at start, periodically and after every change. */
export type HostReport = {
  host: string;
  nodename: string;
  availability_zone: string;
  vcpus: number;
  vcpus_used: number;
  memory_mb: number;
  memory_mb_used: number;
  local_gb: number;
  local_gb_used: number;
  running_vms: number;
  /** Every instance the host has accounted for; the scheduler drops its pending claims for these. */
  instance_uuids: string[];
  disabled: boolean;
  hypervisor_type: 'fake';
  host_ip: string;
  /** ISO 8601, when the host made the report. */
  updated_at: string;
};

export type SelectDestinationsArgs = {
  request_spec: RequestSpec;
  instance_uuids: string[];
};

export type UpdateServiceCapabilitiesArgs = {
  service_name: 'compute';
  host: string;
  capabilities: HostReport;
};

export type ReleaseClaimArgs = {
  host: string;
  instance_uuid: string;
};
