// judgekit labelling page: one item at a time, labels kept in localStorage, exported as JSONL.
// Every text from the data is written with textContent: answers are shown, never interpreted.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("labelling-data").textContent);
  const items = data.items;
  const pairwise = data.kind === "pairwise";
  const field = data.field;
  const storeKey = data.key;
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
  let storing = true;
  try {
    const saved = JSON.parse(window.localStorage.getItem(storeKey) || "null");
    if (saved && typeof saved === "object") {
      Object.keys(saved.labels || {}).forEach((key) => {
        if (saved.labels[key] === null) delete labels[key];
        else labels[key] = saved.labels[key];
      });
      if (Number.isInteger(saved.at) && saved.at >= 0 && saved.at < items.length) at = saved.at;
    }
  } catch (error) {
    storing = false;
  }
  const changed = {};

  function save() {
    if (!storing) return;
    try {
      const saved = JSON.parse(window.localStorage.getItem(storeKey) || "null") || {};
      const stored = Object.assign({}, saved.labels || {}, changed);
      window.localStorage.setItem(storeKey, JSON.stringify({ labels: stored, at: at }));
    } catch (error) {
      storing = false;
      $("storage-warning").hidden = false;
    }
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
  }

  function record(value) {
    const item = items[at];
    labels[idOf(item)] = value;
    changed[idOf(item)] = value;
    if (at < items.length - 1) at += 1;
    save();
    render();
  }

  function clear() {
    const item = items[at];
    delete labels[idOf(item)];
    changed[idOf(item)] = null;
    save();
    render();
  }

  function move(step) {
    at = Math.min(items.length - 1, Math.max(0, at + step));
    save();
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
    save();
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

  document.querySelectorAll("#choices button").forEach((button) => {
    button.addEventListener("click", () => record(labelOf(items[at], button.dataset.choice)));
  });
  $("previous").addEventListener("click", () => move(-1));
  $("next").addEventListener("click", () => move(1));
  $("next-open").addEventListener("click", nextOpen);
  $("clear").addEventListener("click", clear);
  $("export").addEventListener("click", exportFile);
  $("score-form").addEventListener("submit", saveScore);

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
  $("storage-warning").hidden = storing;
  setText(
    $("keys"),
    (pairwise ? "Keys: 1, 2 or 3 (t) label the item and move on; " : "Keys: type a score and press Enter; ") +
      "← / → or k / j move; n goes to the next unlabelled item; x clears the label; e exports the JSONL " +
      "for judgekit labels merge. The answers are shown in a random order per item."
  );
  render();
})();
