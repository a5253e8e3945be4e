// Where a lock lives in ZooKeeper. The lock node is Symfony's (ZookeeperStore
// getKeyResource): "/" + resource at the root, and a resource holding "/" flattened to
// "-" with its sha1 appended, so that Symfony's ZookeeperStore and lockwright exclude
// each other. Waiters (which Symfony does not have) queue apart from it, under one
// persistent folder per lock: an ephemeral node cannot have children.
import { createHash } from 'node:crypto';
import { InvalidArgumentError, describeValue } from '../../core/errors.js';

/** The root folder of the wait queues; a resource mapping to it (or to /zookeeper) is refused. */
export const QUEUES = 'lockwright-waiters';

/** The lock node of `resource`, as Symfony names it. */
export function lockNode(resource: string): string {
  let name = resource;
  if (name.includes('/')) name = `${name.replaceAll('/', '-')}-${createHash('sha1').update(resource).digest('hex')}`;
  // ZooKeeper refuses these in a path (PathUtils.validatePath), "." and ".." as names,
  // and /zookeeper is its own.
  if (name === '.' || name === '..' || name === 'zookeeper' || name === QUEUES || /[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/.test(name)) {
    throw new InvalidArgumentError(
      `ZookeeperStore cannot lock ${describeValue(resource)}: ZooKeeper refuses control characters, characters outside the Basic Multilingual Plane (emoji), private-use characters, and the names ".", "..", "zookeeper" and "${QUEUES}".`,
    );
  }
  return `/${name}`;
}

/** The folder of the waiters of the lock at `node`. */
export function queueFolder(node: string): string {
  return `/${QUEUES}${node}`;
}

/** A waiter's node name prefix; ZooKeeper appends a 10-digit sequence number. */
export const WAITER_PREFIX = 'w-';

export function sequenceOf(child: string): number {
  return Number(child.slice(child.lastIndexOf('-') + 1));
}
