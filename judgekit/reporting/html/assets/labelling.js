// judgekit labelling page: one item at a time, labels kept in IndexedDB (labelling_store.js), exported as JSONL.
// Every text from the data is written with textContent: answers are shown, never interpreted.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("labelling-data").textContent);
  const items = data.items;
  const pairwise = data.kind === "pairwise";
  const field = data.field;
  const $ = (id) => document.getElementById(id);
  const idOf = (item) => String(item.row.id);

  // Labels in the data's terms (A, B or tie; a number for scores), by item id. The file's own
  // labels come first; what this browser stored (a null where a label was cleared) overrides them.
  const labels = {};
  items.forEach((item) => {
    const given = item.row[field];
    if (given !== null && given !== undefined && given !== "") labels[idOf(item)] = given;
  });
  let at = 0;
  // Where the labels stand: loading (keys wait), saving, saved, or off (the browser keeps nothing).
  let storage = "loading";
  let store = null;
  let pending = 0;
  const saving = {}; // item id -> its writes not yet confirmed
  const confirmed = {}; // item id -> true once its label is on disk
  const unsaved = {}; // item id -> true: changed while the browser kept nothing

  function apply(stored) {
    Object.keys(stored.labels).forEach((key) => {
      if (stored.labels[key] === null) delete labels[key];
      else labels[key] = stored.labels[key];
    });
    if (Number.isInteger(stored.at) && stored.at >= 0 && stored.at < items.length) at = stored.at;
  }

  function setStorage(state) {
    storage = state;
    document.body.dataset.storage = state;
    const words = {
      loading: "loading the saved labels…",
      saving: "saving…",
      saved: "all labels saved in this browser",
      off: "labels NOT saved",
    };
    setText($("saved"), words[state]);
  }

  function fail(problem) {
    setStorage("off");
    setText(
      $("storage-warning"),
      "This browser is not keeping your labels (" +
        problem +
        "). Keep this tab open and export them with e before you close it."
    );
    $("storage-warning").hidden = false;
  }

  // Writes the labels of `ids` (and the place) in one transaction; resolves to whether it completed.
  function persist(ids) {
    if (storage === "off") {
      ids.forEach((id) => (unsaved[id] = true));
      return Promise.resolve(false);
    }
    const changes = {};
    ids.forEach((id) => {
      changes[id] = Object.prototype.hasOwnProperty.call(labels, id) ? labels[id] : null;
      saving[id] = (saving[id] || 0) + 1;
    });
    pending += 1;
    setStorage("saving");
    const settle = (done) => {
      pending -= 1;
      ids.forEach((id) => {
        saving[id] -= 1;
        if (done) confirmed[id] = true;
        else unsaved[id] = true;
      });
      if (storage === "saving" && pending === 0) setStorage("saved");
      // Only the note: a full render would also empty a score the labeller is typing meanwhile.
      setText($("current-saved"), savedNote(idOf(items[at])));
      return done;
    };
    return store.write(changes, at).then(
      () => settle(true),
      (error) => {
        fail(judgekitLabelStore.reason(error, "a write failed"));
        return settle(false);
      }
    );
  }

  // Brings in what this browser stored for the page, and once, labels an older page kept in localStorage.
  function restore() {
    const old = judgekitLabelStore.legacy(data.key);
    judgekitLabelStore.open(data.key).then(
      (opened) => {
        store = opened;
        apply(opened);
        Object.keys(opened.labels).forEach((id) => (confirmed[id] = true));
        setStorage("saved");
        const moved = old ? Object.keys(old.labels).filter((id) => !(id in opened.labels)) : [];
        if (old) apply({ labels: pick(old.labels, moved), at: opened.at === null ? old.at : null });
        if (moved.length) persist(moved).then((done) => done && old.forget());
        else if (old) old.forget();
        render();
      },
      (error) => {
        if (old) apply(old); // shown and exported, and left where it is
        fail(judgekitLabelStore.reason(error, "its storage is unavailable"));
        render();
      }
    );
  }

  function pick(source, ids) {
    const chosen = {};
    ids.forEach((id) => (chosen[id] = source[id]));
    return chosen;
  }

  function has(item) {
    return Object.prototype.hasOwnProperty.call(labels, idOf(item));
  }

  function setText(element, text) {
    element.textContent = text === null || text === undefined ? "" : String(text);
  }

  function showConversation(item) {
    const box = $("conversation");
    box.replaceChildren();
    const turns = Array.isArray(item.row.conversation) ? item.row.conversation : [];
    box.hidden = turns.length === 0;
    if (!turns.length) return;
    const title = document.createElement("h2");
    title.textContent = "Earlier turns";
    box.appendChild(title);
    turns.forEach((turn) => {
      const entry = document.createElement("div");
      entry.className = "turn text";
      const role = document.createElement("div");
      role.className = "turn-role";
      setText(role, turn && turn.role);
      const content = document.createElement("div");
      setText(content, turn && turn.content);
      entry.append(role, content);
      box.appendChild(entry);
    });
  }

  // The blind order: "first" names the data's answer (A or B) shown as Answer 1.
  function choiceOf(item, label) {
    if (label === "tie") return "tie";
    return label === item.first ? "first" : "second";
  }

  function labelOf(item, choice) {
    if (choice === "tie") return "tie";
    const other = item.first === "A" ? "B" : "A";
    return choice === "first" ? item.first : other;
  }

  function describe(item) {
    if (!has(item)) return "none yet";
    const label = labels[idOf(item)];
    if (!pairwise) return String(label);
    const choice = choiceOf(item, label);
    return choice === "tie" ? "tie" : choice === "first" ? "Answer 1 is better" : "Answer 2 is better";
  }

  function render() {
    const item = items[at];
    const done = items.filter(has).length;
    const finished = done === items.length ? ": all done, press e to export" : "";
    setText($("progress"), done + " of " + items.length + " labelled" + finished);
    setText($("position"), "item " + (at + 1) + " of " + items.length);
    showConversation(item);
    setText($("question"), item.row.question);
    if (pairwise) {
      setText($("first"), item.first === "A" ? item.row.answer_a : item.row.answer_b);
      setText($("second"), item.first === "A" ? item.row.answer_b : item.row.answer_a);
      const chosen = has(item) ? choiceOf(item, labels[idOf(item)]) : null;
      document.querySelectorAll("#choices button").forEach((button) => {
        button.setAttribute("aria-pressed", String(button.dataset.choice === chosen));
      });
    } else {
      $("score").value = has(item) ? String(labels[idOf(item)]) : "";
      setText($("score-error"), "");
    }
    setText($("current"), describe(item));
    setText($("current-saved"), savedNote(idOf(item)));
  }

  // A label reads "saved" only once the browser confirmed its write.
  function savedNote(id) {
    if (saving[id] > 0) return "saving…";
    if (unsaved[id]) return "not saved in this browser";
    return confirmed[id] && Object.prototype.hasOwnProperty.call(labels, id) ? "saved" : "";
  }

  function record(value) {
    const item = items[at];
    labels[idOf(item)] = value;
    if (at < items.length - 1) at += 1;
    persist([idOf(item)]);
    render();
  }

  function clear() {
    const item = items[at];
    delete labels[idOf(item)];
    persist([idOf(item)]);
    render();
  }

  function move(step) {
    at = Math.min(items.length - 1, Math.max(0, at + step));
    persist([]);
    render();
  }

  function nextOpen() {
    for (let offset = 1; offset <= items.length; offset += 1) {
      const index = (at + offset) % items.length;
      if (!has(items[index])) {
        at = index;
        break;
      }
    }
    persist([]);
    render();
  }

  function exportText() {
    return items
      .map((item) => {
        const row = Object.assign({}, item.row);
        row[field] = has(item) ? labels[idOf(item)] : null;
        return JSON.stringify(row) + "\n";
      })
      .join("");
  }

  function exportFile() {
    const blob = new Blob([exportText()], { type: "application/x-ndjson" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = data.file.replace(/\.[^.]*$/, "") + ".labelled.jsonl";
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  function saveScore(event) {
    event.preventDefault();
    const text = $("score").value.trim();
    const value = Number(text);
    const scale = data.scale;
    if (text === "" || !Number.isFinite(value)) {
      setText($("score-error"), "type a number");
      return;
    }
    if (scale && (value < scale[0] || value > scale[1])) {
      setText($("score-error"), "outside the scale " + scale[0] + " to " + scale[1]);
      return;
    }
    $("score").blur();
    record(value);
  }

  const keys = {
    ArrowLeft: () => move(-1),
    k: () => move(-1),
    ArrowRight: () => move(1),
    j: () => move(1),
    n: nextOpen,
    x: clear,
    e: exportFile,
  };
  if (pairwise) {
    keys["1"] = () => record(labelOf(items[at], "first"));
    keys["2"] = () => record(labelOf(items[at], "second"));
    keys["3"] = () => record("tie");
    keys.t = () => record("tie");
  }

  document.addEventListener("keydown", (event) => {
    if (storage === "loading") return; // the stored labels are not in yet: a key now could undo one
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target === $("score")) {
      if (event.key === "Escape") $("score").blur();
      return;
    }
    if (!pairwise && /^[0-9.\-]$/.test(event.key)) {
      $("score").focus(); // typing a score anywhere goes into the score box
      return;
    }
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  const whenLoaded = (action) => (event) => {
    if (storage === "loading") event.preventDefault();
    else action(event);
  };
  document.querySelectorAll("#choices button").forEach((button) => {
    button.addEventListener(
      "click",
      whenLoaded(() => record(labelOf(items[at], button.dataset.choice)))
    );
  });
  $("previous").addEventListener("click", whenLoaded(() => move(-1)));
  $("next").addEventListener("click", whenLoaded(() => move(1)));
  $("next-open").addEventListener("click", whenLoaded(nextOpen));
  $("clear").addEventListener("click", whenLoaded(clear));
  $("export").addEventListener("click", whenLoaded(exportFile));
  $("score-form").addEventListener("submit", whenLoaded(saveScore));

  $("choices").hidden = !pairwise;
  $("score-form").hidden = pairwise;
  if (!pairwise) {
    $("second-box").hidden = true;
    setText($("first-title"), "Answer");
    if (data.scale) {
      setText($("scale"), "(" + data.scale[0] + " to " + data.scale[1] + ")");
      $("score").min = String(data.scale[0]);
      $("score").max = String(data.scale[1]);
    }
  }
  setText(
    $("keys"),
    (pairwise ? "Keys: 1, 2 or 3 (t) label the item and move on; " : "Keys: type a score and press Enter; ") +
      "← / → or k / j move; n goes to the next unlabelled item; x clears the label; e exports the JSONL " +
      "for judgekit labels merge. The answers are shown in a random order per item."
  );
  setStorage("loading");
  render();
  restore();
})();
