// judgekit labelling page, its storage: the labels live in IndexedDB, one record per item.
// A write counts as saved only when its transaction completes (asked for with strict durability,
// so the browser has flushed it to disk); localStorage gave no such confirmation and, under load,
// a reloaded page could read it before the earlier page's writes had arrived.
const judgekitLabelStore = (function () {
  "use strict";
  const DATABASE = "judgekit-labels";
  const LABELS = "labels"; // key [page key, item id] -> {label} (null: cleared in the browser)
  const PLACES = "places"; // key page key -> {at}: the item the labeller was on

  function reason(error, fallback) {
    if (!error) return fallback;
    if (error.name === "QuotaExceededError") return "its storage for this page is full";
    return error.name && error.message ? error.name + ": " + error.message : String(error.message || error);
  }

  function openDatabase() {
    return new Promise((resolve, reject) => {
      let request;
      try {
        if (!window.indexedDB) throw new Error("this browser offers no IndexedDB");
        request = window.indexedDB.open(DATABASE, 1);
      } catch (error) {
        reject(error); // a SecurityError where the browser keeps nothing for this page's origin
        return;
      }
      request.onupgradeneeded = () => {
        request.result.createObjectStore(LABELS);
        request.result.createObjectStore(PLACES);
      };
      request.onsuccess = () => {
        // A later version of the page upgrading the store: step aside (this tab's writes then fail, visibly).
        request.result.onversionchange = () => request.result.close();
        resolve(request.result);
      };
      request.onerror = () => reject(request.error || new Error("the browser refused to open its storage"));
    });
  }

  // Resolves when the transaction completes, rejects when it aborts (quota, disk, a closed database).
  function finished(transaction) {
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onabort = () => reject(transaction.error || new Error("the browser cancelled the write"));
    });
  }

  function readAll(database, page) {
    const transaction = database.transaction([LABELS, PLACES], "readonly");
    const labels = {};
    let at = null;
    const range = IDBKeyRange.bound([page], [page, []]); // every [page, id]: arrays sort after strings
    transaction.objectStore(LABELS).openCursor(range).onsuccess = (event) => {
      const cursor = event.target.result;
      if (!cursor) return;
      labels[cursor.key[1]] = cursor.value.label;
      cursor.continue();
    };
    transaction.objectStore(PLACES).get(page).onsuccess = (event) => {
      const place = event.target.result;
      if (place && Number.isInteger(place.at)) at = place.at;
    };
    return finished(transaction).then(() => ({ labels: labels, at: at }));
  }

  // Opens the store of one page (its key names the labelling file's rows): resolves to what is
  // stored and a write(changes, at) that resolves once the changes are on disk.
  function open(page) {
    return openDatabase().then((database) => {
      function write(changes, at) {
        let transaction;
        try {
          transaction = database.transaction([LABELS, PLACES], "readwrite", { durability: "strict" });
        } catch (error) {
          return Promise.reject(error); // e.g. the browser closed the database (its data was cleared)
        }
        const done = finished(transaction);
        try {
          Object.keys(changes).forEach((id) => {
            transaction.objectStore(LABELS).put({ label: changes[id] }, [page, id]);
          });
          transaction.objectStore(PLACES).put({ at: at }, page);
        } catch (error) {
          try {
            transaction.abort();
          } catch (ignored) {
            // already aborted by the browser
          }
          return done.then(() => Promise.reject(error), () => Promise.reject(error));
        }
        return done;
      }
      return readAll(database, page).then((stored) => ({ labels: stored.labels, at: stored.at, write: write }));
    });
  }

  // Labels an earlier version of the page kept in localStorage (read once, then removed).
  function legacy(key) {
    try {
      const saved = JSON.parse(window.localStorage.getItem(key) || "null");
      if (!saved || typeof saved !== "object") return null;
      return {
        labels: saved.labels && typeof saved.labels === "object" ? saved.labels : {},
        at: Number.isInteger(saved.at) ? saved.at : null,
        forget: () => {
          try {
            window.localStorage.removeItem(key);
          } catch (error) {
            // kept there; the next load finds every label in IndexedDB already and moves nothing
          }
        },
      };
    } catch (error) {
      return null; // no localStorage here: nothing to bring over
    }
  }

  return { open: open, legacy: legacy, reason: reason };
})();
