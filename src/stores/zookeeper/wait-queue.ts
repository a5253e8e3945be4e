// Blocking waits of ZookeeperStore: ZooKeeper's lock recipe, a real queue kept by the
// server. Each waiter creates an ephemeral sequential node in the lock's queue folder
// and watches only the waiter just before it (no herd on a release); the head watches
// the lock node itself and creates it once it is gone. Waiters are served in order of
// arrival across every process and machine, and one that times out, is aborted, or dies
// leaves the queue (its node is removed, or goes with its session).
import { LockConflictedError, LockStorageError } from '../../core/errors.js';
import type { WaitOptions } from '../../core/store.js';
import { setLongTimeout } from '../../core/wait.js';
import { Code, CreateMode, codeOf } from './client.js';
import { QUEUES, WAITER_PREFIX, queueFolder, sequenceOf } from './paths.js';
import type { ZookeeperSession } from './session.js';

/** How the queue takes the lock once at the head, or gives back a grant nobody wants. */
export interface LockTaker {
  /** True when the lock node was created for this waiter; false when it exists. */
  take(): Promise<boolean>;
  giveBack(): Promise<void>;
}

class QueueNodeGone extends LockStorageError {}

/** Pause before trying again after a failed call (the connection is away). */
const RETRY_MS = 250;

export async function waitInQueue(
  session: ZookeeperSession,
  node: string,
  taker: LockTaker,
  options: WaitOptions,
  describe: string,
  /** Called once, when this waiter has its place in the queue (or the wait ended first). */
  onQueued: () => void = () => {},
): Promise<void> {
  const { signal, timeout } = options;
  signal?.throwIfAborted();
  let stopped: { reason: unknown; timeout: boolean } | null = null;
  let wake: () => void = () => {};
  const woken = () => new Promise<void>((resolve) => (wake = resolve));
  const stop = (reason: unknown, byTimeout: boolean) => {
    stopped ??= { reason, timeout: byTimeout };
    wake();
  };
  const onAbort = () => stop(signal!.reason, false);
  signal?.addEventListener('abort', onAbort, { once: true });
  const cancelTimer =
    timeout === undefined
      ? undefined
      : setLongTimeout(() => stop(new LockConflictedError(`Timed out after ${timeout} ms waiting for ${describe}.`), true), timeout);
  const stopListening = session.onChange(() => wake());
  const folder = queueFolder(node);
  let me: string | null = null;
  try {
    for (;;) {
      const next = woken();
      const current = stopped as { reason: unknown; timeout: boolean } | null;
      if (current !== null) throw current.reason;
      try {
        if (me === null) {
          me = await enqueue(session, folder);
          onQueued();
        }
        const children = (await session.ops.getChildren(folder)).filter((c) => c.startsWith(WAITER_PREFIX));
        children.sort((a, b) => sequenceOf(a) - sequenceOf(b));
        const place = children.indexOf(me.slice(folder.length + 1));
        if (place === -1) throw new QueueNodeGone(`The waiter's queue node for ${describe} is gone (its ZooKeeper session ended).`);
        if (place > 0) {
          // Only the waiter just before us: a release wakes one waiter, not all.
          if (await session.ops.exists(`${folder}/${children[place - 1]}`, () => wake())) await next;
          continue;
        }
        if (await taker.take()) {
          const late = stopped as { reason: unknown; timeout: boolean } | null;
          if (late !== null && !late.timeout) {
            await taker.giveBack().catch(() => {});
            throw late.reason;
          }
          return;
        }
        if (await session.ops.exists(node, () => wake())) await next;
      } catch (error) {
        const cause = (error as { cause?: unknown } | null)?.cause;
        if (stopped !== null || error instanceof QueueNodeGone || codeOf(error) === Code.SESSION_EXPIRED || codeOf(cause) === Code.SESSION_EXPIRED) {
          throw error;
        }
        // A lost connection or an unanswered call: try again once reconnected (or soon).
        await Promise.race([next, new Promise((r) => setTimeout(r, RETRY_MS))]);
      }
    }
  } finally {
    onQueued();
    signal?.removeEventListener('abort', onAbort);
    cancelTimer?.();
    stopListening();
    if (me !== null) await leave(session, folder, me);
  }
}

/** Creates this waiter's node (and the queue folders on first use); its full path. */
async function enqueue(session: ZookeeperSession, folder: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await session.ops.create(`${folder}/${WAITER_PREFIX}`, Buffer.alloc(0), CreateMode.EPHEMERAL_SEQUENTIAL);
    } catch (error) {
      if (codeOf(error) !== Code.NO_NODE || attempt > 5) throw error;
    }
    for (const path of [`/${QUEUES}`, folder]) {
      try {
        await session.ops.create(path, Buffer.alloc(0), CreateMode.PERSISTENT);
      } catch (error) {
        if (codeOf(error) !== Code.NODE_EXISTS) throw error;
      }
    }
  }
}

/** Removes this waiter's node, and the folder when it was the last (best effort). */
async function leave(session: ZookeeperSession, folder: string, me: string): Promise<void> {
  try {
    await session.ops.remove(me);
    await session.ops.remove(folder).catch(() => {}); // NOT_EMPTY: others still wait
  } catch {
    // The node goes with the session at the latest.
  }
}
