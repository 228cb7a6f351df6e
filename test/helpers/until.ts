import { setTimeout as pause } from 'node:timers/promises'

/**
 * Waits for a condition that another part of the process makes true after the
 * event a test observed (a counter bumped once a publish is acknowledged, …).
 * Checks every few milliseconds; the file's tap timeout bounds the wait.
 */
export async function until (condition: () => boolean): Promise<void> {
  while (!condition()) await pause(5)
}
