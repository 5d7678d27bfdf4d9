/**
 * cinder's policy defaults for the API Fjord serves (cinder's names; reader to look, member to
 * change, admin for all_tenants). Another project's volume is not found (404).
 */
import { Policy } from '@fjord/service-kit';

export const VOLUME_POLICY = new Policy({
  'volume:get_all': 'reader',
  'volume:get': 'reader',
  'volume:get_all_tenants': 'admin',
  'volume:create': 'member',
  'volume:delete': 'member',
  /** os-reserve, os-attach, os-begin_detaching, os-detach, os-initialize_connection…: member in cinder. */
  'volume_extension:volume_actions': 'member',
});
