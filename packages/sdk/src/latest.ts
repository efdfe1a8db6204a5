/**
 * Loads that may overlap (a filter changed twice in a row, a search typed on): only the most
 * recent one may apply its answer, whatever order the answers come back in. Otherwise a slow
 * answer to an earlier question overwrites the answer to the question now on screen.
 */
export class LatestOnly {
  private generation = 0;

  /** Starts a load; the function it returns says whether that load is still the latest. */
  begin(): () => boolean {
    const mine = ++this.generation;
    return () => mine === this.generation;
  }

  /** Every load under way is stale from now on (the view was reset or closed). */
  cancel(): void {
    this.generation++;
  }
}
