// "Load the occurrences from Zoom" (and any provider-filled list) in the page editor:
// asks the admin's provider-choices view with the block's other fields, and offers the
// answer as the input's suggestions. Event delegation, because StreamField blocks are
// added after the page loads.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-webinars-choices-load]");
  if (!button) {
    return;
  }
  const input = document.getElementById(button.dataset.for);
  const list = document.getElementById(`${button.dataset.for}-choices`);
  const status = document.getElementById(`${button.dataset.for}-status`);
  if (!input || !list || !status) {
    return;
  }
  const prefix = input.id.slice(0, input.id.length - button.dataset.field.length);
  const params = new URLSearchParams();
  for (const name of (button.dataset.sends || "").split(" ").filter(Boolean)) {
    const sibling = document.getElementById(prefix + name);
    if (sibling) {
      params.set(name, sibling.value);
    }
  }
  status.textContent = button.dataset.loading;
  button.disabled = true;
  try {
    const response = await fetch(`${button.dataset.url}?${params}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const data = await response.json();
    list.replaceChildren(
      ...(data.choices || []).map((choice) => {
        const option = document.createElement("option");
        option.value = choice.value;
        option.textContent = choice.label;
        return option;
      }),
    );
    status.textContent = data.error || data.summary || "";
    if (!data.error && data.choices && data.choices.length) {
      input.focus();
    }
  } catch (error) {
    status.textContent = button.dataset.failed || String(error);
  } finally {
    button.disabled = false;
  }
});
