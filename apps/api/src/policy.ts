/**
 * nova's policy defaults for the API Fjord serves (nova's policy names; "secure RBAC": reader to
 * look, member to change, admin for the cloud-wide views). Another project's server is not
 * refused here but not found (404), by the API's own lookups.
 */
import { Policy } from '@fjord/service-kit';

export const COMPUTE_POLICY = new Policy({
  'os_compute_api:servers:index': 'reader',
  'os_compute_api:servers:detail': 'reader',
  'os_compute_api:servers:index:get_all_tenants': 'admin',
  'os_compute_api:servers:show': 'reader',
  'os_compute_api:servers:create': 'member',
  'os_compute_api:servers:delete': 'member',
  /** reboot, os-stop, os-start, os-getConsoleOutput: each is member in nova. */
  'os_compute_api:servers:action': 'member',
  'os_compute_api:os-volumes-attachments:index': 'reader',
  'os_compute_api:os-volumes-attachments:show': 'reader',
  'os_compute_api:os-volumes-attachments:create': 'member',
  'os_compute_api:os-volumes-attachments:delete': 'member',
  'os_compute_api:os-hypervisors:list': 'admin',
  'os_compute_api:os-hypervisors:list-detail': 'admin',
  'os_compute_api:os-hypervisors:show': 'admin',
  /** nova has no rule for reading flavors: any authenticated user. */
  'os_compute_api:flavors:index': 'any',
  'os_compute_api:os-flavor-extra-specs:index': 'any',
});
