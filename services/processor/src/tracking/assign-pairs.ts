import { munkres } from 'munkres';

export interface Assignment {
  /** [row, column] pairs. */
  matches: Array<[number, number]>;
  unmatchedRows: number[];
  unmatchedCols: number[];
}

/**
 * The minimum-cost matching of rows (tracks) to columns (boxes) in which no pair costs `limit` or
 * more, leaving a row or column unmatched when that is cheaper than pairing it: each unmatched
 * side costs `limit / 2`, the rule of ByteTrack's `lapjv(..., cost_limit)`. The matrix is cut into
 * the groups of rows and columns that can reach each other below the limit (usually a single
 * track and box, matched at once); larger groups go to the Munkres solver (the `munkres` package),
 * extended with the unmatched options.
 *
 * @param cost row-major, `rows` × `cols`.
 */
export function assignPairs(cost: Float64Array, rows: number, cols: number, limit: number): Assignment {
  const matches: Array<[number, number]> = [];
  const rowMatched = new Uint8Array(rows);
  const colMatched = new Uint8Array(cols);
  for (const { rowIds, colIds } of connectedGroups(cost, rows, cols, limit)) {
    if (rowIds.length === 1 && colIds.length === 1) {
      matches.push([rowIds[0]!, colIds[0]!]);
    } else {
      matches.push(...solveGroup(cost, cols, rowIds, colIds, limit));
    }
  }
  for (const [r, c] of matches) {
    rowMatched[r] = 1;
    colMatched[c] = 1;
  }
  matches.sort((a, b) => a[0] - b[0]);
  return {
    matches,
    unmatchedRows: indicesWhere(rowMatched, 0),
    unmatchedCols: indicesWhere(colMatched, 0),
  };
}

/** Rows and columns linked by pairs cheaper than the limit, each group once (a row or column with no such pair is in none). */
function connectedGroups(cost: Float64Array, rows: number, cols: number, limit: number): Array<{ rowIds: number[]; colIds: number[] }> {
  const rowGroup = new Int32Array(rows).fill(-1);
  const colGroup = new Int32Array(cols).fill(-1);
  const groups: Array<{ rowIds: number[]; colIds: number[] }> = [];
  for (let start = 0; start < rows; start++) {
    if (rowGroup[start] !== -1) continue;
    const group = { rowIds: [] as number[], colIds: [] as number[] };
    const pendingRows = [start];
    rowGroup[start] = groups.length;
    while (pendingRows.length > 0) {
      const r = pendingRows.pop()!;
      group.rowIds.push(r);
      for (let c = 0; c < cols; c++) {
        if (colGroup[c] !== -1 || !(cost[r * cols + c]! < limit)) continue;
        colGroup[c] = groups.length;
        group.colIds.push(c);
        for (let r2 = 0; r2 < rows; r2++) {
          if (rowGroup[r2] === -1 && cost[r2 * cols + c]! < limit) {
            rowGroup[r2] = groups.length;
            pendingRows.push(r2);
          }
        }
      }
    }
    if (group.colIds.length > 0) groups.push(group);
  }
  return groups;
}

/** Munkres on one group, extended to (m + n) square: real pairs top left, "leave unmatched" at limit/2 beside and below. */
function solveGroup(cost: Float64Array, cols: number, rowIds: number[], colIds: number[], limit: number): Array<[number, number]> {
  const m = rowIds.length;
  const n = colIds.length;
  const size = m + n;
  // A pair at or over the limit costs more than leaving both sides unmatched, so it is never chosen.
  const forbidden = limit * 2 + 1;
  const matrix: number[][] = [];
  for (let i = 0; i < size; i++) {
    const row = new Array<number>(size);
    for (let j = 0; j < size; j++) {
      if (i < m && j < n) {
        const value = cost[rowIds[i]! * cols + colIds[j]!]!;
        row[j] = value < limit ? value : forbidden;
      } else {
        row[j] = i >= m && j >= n ? 0 : limit / 2;
      }
    }
    matrix.push(row);
  }
  const pairs: Array<[number, number]> = [];
  for (const [i, j] of munkres(matrix)) {
    if (i < m && j < n && matrix[i]![j]! < limit) pairs.push([rowIds[i]!, colIds[j]!]);
  }
  return pairs;
}

function indicesWhere(flags: Uint8Array, value: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i] === value) out.push(i);
  return out;
}
