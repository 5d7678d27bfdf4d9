/** A paging marker that names no instance (nova MarkerNotFound; the API answers 400). */
export class MarkerNotFound extends Error {
  override name = 'MarkerNotFound';
  constructor(readonly marker: string) {
    super(`marker [${marker}] not found`);
  }
}
