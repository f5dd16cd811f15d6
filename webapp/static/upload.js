// Upload an existing recording with a progress bar and the server's message on error.
// Without this script the form still posts normally (the server redirects).

const MB = 1024 * 1024;

function setup(form) {
  const part = (name) => form.querySelector(`[data-part="${name}"]`);
  const input = form.querySelector("input[type=file]");
  const submit = form.querySelector("button[type=submit]");
  const cancel = form.querySelector('[data-action="cancel"]');
  const source = form.dataset.fieldsFrom ? document.getElementById(form.dataset.fieldsFrom) : null;
  let request = null;

  if (source && part("actor-note")) part("actor-note").hidden = false;

  const showError = (text) => {
    part("error").textContent = text;
    part("error").hidden = !text;
    input.setAttribute("aria-invalid", text ? "true" : "false");
  };

  const checkFile = () => {
    const file = input.files[0];
    if (!file) return "Choose an audio file to upload.";
    const maxBytes = Number(form.dataset.maxMb) * MB;
    if (maxBytes && file.size > maxBytes) {
      const size = file.size / MB;
      return `“${file.name}” is ${size.toFixed(size < 10 ? 1 : 0)} MB; the limit is ` +
        `${form.dataset.maxMb} MB. Save the interview at a lower quality (for example MP3 or ` +
        "M4A rather than WAV), or split it, and try again.";
    }
    if (!file.size) return `“${file.name}” is empty.`;
    return "";
  };

  input.addEventListener("change", () => {
    showError(input.files[0] ? checkFile() : "");
    part("status").textContent = "";
  });

  const setBusy = (busy) => {
    submit.disabled = busy;
    input.disabled = busy;
    cancel.hidden = !busy;
    part("progress").hidden = !busy && part("bar").value < 100;
  };

  const setProgress = (fraction) => {
    const percent = Math.floor(fraction * 100);
    part("bar").value = percent;
    part("bar").textContent = `${percent} %`;
    part("percent").textContent = String(percent);
  };

  const buildData = () => {
    const data = new FormData(form);
    if (source) {
      for (const [name, value] of new FormData(source)) {
        if (name !== "csrf_token" && !data.has(name)) data.append(name, value);
      }
    }
    return data;
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = checkFile();
    showError(problem);
    if (problem) {
      input.focus();
      return;
    }
    const data = buildData(); // before setBusy: a disabled input is left out of FormData
    request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-CSRFToken", form.elements.csrf_token.value);
    request.responseType = "json";
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) setProgress(e.loaded / e.total);
    });
    request.upload.addEventListener("load", () => {
      setProgress(1);
      part("status").textContent = "Uploaded. Checking the audio…";
    });
    request.addEventListener("load", () => done(request));
    request.addEventListener("error", () => failed("The upload was interrupted. Check the " +
      "connection and try again."));
    request.addEventListener("abort", () => failed("Upload cancelled."));
    setProgress(0);
    setBusy(true);
    part("status").textContent = `Uploading ${input.files[0].name}…`;
    request.send(data);
  });

  cancel.addEventListener("click", () => request?.abort());

  const failed = (message) => {
    request = null;
    setProgress(0);
    setBusy(false);
    part("progress").hidden = true;
    part("status").textContent = "";
    showError(message);
  };

  const done = (xhr) => {
    const body = xhr.response || {};
    if (xhr.status === 202 || xhr.status === 200) {
      part("status").textContent = "Uploaded. Opening the recording…";
      window.location.assign(body.url || window.location.href);
      return;
    }
    const fallback = {
      413: `The file is larger than the server accepts (${form.dataset.maxMb} MB).`,
      415: "That file type is not accepted. Use WAV, MP3, M4A, AAC, OGG, Opus, WebM or FLAC.",
      400: "The form expired. Reload the page and try again.",
    }[xhr.status] || `The upload failed (HTTP ${xhr.status}). Please try again.`;
    failed(body.message || fallback);
  };
}

document.querySelectorAll("form[data-upload]").forEach(setup);
