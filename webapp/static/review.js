// Rating page enhancements.  Without this script the form works as it is: every transcript
// line has one checkbox per dimension.  With it, a rater picks a dimension ("Mark evidence
// for ...") and clicks lines to tie them to that score; lines can also start playback.
const form = document.querySelector("[data-review]");

if (form) {
  const audio = form.querySelector('[data-part="audio"]');
  const segments = [...form.querySelectorAll(".review-segment")];
  const markButtons = [...form.querySelectorAll("[data-mark]")];
  let active = null;

  const boxes = (key) => [...form.querySelectorAll(`input[data-evidence="${key}"]`)];

  function summarise(key) {
    const lines = boxes(key)
      .filter((box) => box.checked)
      .map((box) => Number(box.value) + 1);
    const summary = form.querySelector(`[data-summary="${key}"]`);
    if (summary) {
      summary.textContent = lines.length
        ? `Evidence: line${lines.length > 1 ? "s" : ""} ${lines.join(", ")}`
        : "No evidence lines marked.";
    }
  }

  function highlight() {
    for (const segment of segments) {
      const box = active && segment.querySelector(`input[data-evidence="${active}"]`);
      segment.classList.toggle("is-marked", Boolean(box && box.checked));
    }
  }

  function activate(key) {
    active = active === key ? null : key;
    form.classList.toggle("js-marking", active !== null);
    for (const button of markButtons) {
      const on = button.dataset.mark === active;
      button.setAttribute("aria-pressed", String(on));
      button.closest(".dimension").classList.toggle("is-active", on);
    }
    highlight();
  }

  for (const button of markButtons) {
    button.hidden = false;
    button.addEventListener("click", () => activate(button.dataset.mark));
    summarise(button.dataset.mark);
  }
  for (const hint of form.querySelectorAll('[data-part="js-hint"]')) hint.hidden = false;

  for (const segment of segments) {
    segment.addEventListener("click", (event) => {
      if (!active || event.target.closest("input, label, button")) return;
      const box = segment.querySelector(`input[data-evidence="${active}"]`);
      box.checked = !box.checked;
      summarise(active);
      highlight();
    });
  }
  form.addEventListener("change", (event) => {
    const key = event.target.dataset && event.target.dataset.evidence;
    if (key) {
      summarise(key);
      highlight();
    }
  });

  for (const button of form.querySelectorAll("[data-play]")) {
    if (!audio) break;
    button.hidden = false;
    button.addEventListener("click", () => {
      audio.currentTime = Number(button.dataset.play);
      audio.play();
    });
  }
}
