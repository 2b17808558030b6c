// The browser's outbox (hộp thư chờ gửi): a record that could not reach its service is kept in
// IndexedDB and sent again when the service answers. Every record carries the stable id its form
// made (meeting_id, opinion step on the same day, …), so a retry of something the service did
// receive answers "200 unchanged" and nothing is counted twice. Every record also names the
// account that typed it: it is sent only with that person's session, whoever else signs in.
'use strict';

(function () {
  const DB = 'hdnd-workspace';
  const STORE = 'outbox';
  let dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return dbPromise;
  }

  async function tx(mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const result = work(t.objectStore(STORE));
      t.oncomplete = () => resolve(result && 'result' in result ? result.result : undefined);
      t.onerror = () => reject(t.error);
    });
  }

  const Outbox = {
    put: (entry) => tx('readwrite', (s) => s.put(entry)),
    remove: (id) => tx('readwrite', (s) => s.delete(id)),
    all: async () => ((await tx('readonly', (s) => s.getAll())) || []).sort((a, b) => a.created_at.localeCompare(b.created_at)),
  };

  // Is this failure "the service is not there" (keep and retry) rather than a refusal?
  Outbox.unreachable = (status) => status === 0 || status === 502 || status === 503 || status === 504;

  // Is `entry` the record of `account` (signed in, or the last one)? One from before records had
  // owners is nobody's: it waits, and is never sent in someone else's name.
  Outbox.owns = (entry, account) => Boolean(account && entry.account && entry.account === account.id);

  window.Outbox = Outbox;
})();
