// Keyboard navigation on the accounts table: Up/Down (or k/j) move between rows, Home/End jump, Enter opens.
document.addEventListener("keydown", (event) => {
  const link = event.target.closest && event.target.closest("#accounts-table a.row-link");
  if (!link) return;
  const links = Array.from(document.querySelectorAll("#accounts-table a.row-link"));
  const index = links.indexOf(link);
  const moves = { ArrowDown: index + 1, j: index + 1, ArrowUp: index - 1, k: index - 1, Home: 0, End: links.length - 1 };
  if (!(event.key in moves)) return;
  const next = links[Math.max(0, Math.min(links.length - 1, moves[event.key]))];
  event.preventDefault();
  next.focus();
});
