/** What the route plugins are given: the behaviour modules and the few settings views need. */
import type { ComputeApi } from '../compute-api.js';
import type { ApiSettings } from '../options.js';
import type { ComputeStore } from '../store.js';
import type { VolumeAttachments } from '../volume-attachments.js';

export interface RouteDeps {
  api: ComputeApi;
  attachments: VolumeAttachments;
  store: ComputeStore;
  settings: ApiSettings;
}
