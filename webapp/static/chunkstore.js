// The pieces of one browser recording, kept in IndexedDB (one database per recording)
// until the server has acknowledged them, so a closed tab or a dropped connection loses
// nothing that MediaRecorder has already handed over.

/** Pieces of one recording, kept until the server has them.  Falls back to memory
 *  when IndexedDB is unavailable (some private windows), which only loses tab-close safety. */
export class ChunkStore {
  constructor(recordingId) {
    this.name = `simclient-recording-${recordingId}`;
    this.db = null;
    this.memory = new Map();
    this.memoryMeta = new Map();
  }

  async open() {
    if (!("indexedDB" in window)) return false;
    try {
      this.db = await new Promise((resolve, reject) => {
        const request = indexedDB.open(this.name, 1);
        request.onupgradeneeded = () => {
          request.result.createObjectStore("chunks");
          request.result.createObjectStore("meta");
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      this.db.onversionchange = () => this.db.close();
      return true;
    } catch (error) {
      console.warn("IndexedDB unavailable; keeping audio in memory only", error);
      this.db = null;
      return false;
    }
  }

  transact(stores, mode, work) {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(stores, mode);
      const request = work(tx);
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("IndexedDB transaction aborted"));
    });
  }

  /** Store a piece and the count of pieces produced so far, atomically. */
  async put(seq, buffer, produced) {
    if (!this.db) {
      this.memory.set(seq, buffer);
      this.memoryMeta.set("produced", produced);
      return;
    }
    await this.transact(["chunks", "meta"], "readwrite", (tx) => {
      tx.objectStore("meta").put(produced, "produced");
      return tx.objectStore("chunks").put(buffer, seq);
    });
  }

  async get(seq) {
    if (!this.db) return this.memory.get(seq);
    return this.transact("chunks", "readonly", (tx) => tx.objectStore("chunks").get(seq));
  }

  async remove(seq) {
    if (!this.db) return void this.memory.delete(seq);
    await this.transact("chunks", "readwrite", (tx) => tx.objectStore("chunks").delete(seq));
  }

  async keys() {
    if (!this.db) return [...this.memory.keys()].sort((a, b) => a - b);
    const keys = await this.transact("chunks", "readonly", (tx) =>
      tx.objectStore("chunks").getAllKeys(),
    );
    return keys.map(Number).sort((a, b) => a - b);
  }

  async getMeta(key) {
    if (!this.db) return this.memoryMeta.get(key);
    return this.transact("meta", "readonly", (tx) => tx.objectStore("meta").get(key));
  }

  async setMeta(key, value) {
    if (!this.db) return void this.memoryMeta.set(key, value);
    await this.transact("meta", "readwrite", (tx) => tx.objectStore("meta").put(value, key));
  }

  /** Forget everything once the server has accepted the finished recording. */
  async destroy() {
    this.memory.clear();
    if (!this.db) return;
    this.db.close();
    this.db = null;
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(this.name);
      request.onsuccess = request.onerror = request.onblocked = () => resolve();
    });
  }
}
