// Formulas that never overflow their column (issue 28.6). st.latex draws a formula in a
// `.katex-display` box that scrolls sideways (`overflow-x: auto`): in a narrow column its right end
// was cut off, a square or a term out of sight. This shrinks the type of each formula that is wider
// than its box until it fits, and undoes that when the box grows again. Installed once per browser
// tab by ui/core/presenter.py (st.html, JavaScript allowed); it watches the page for new formulas and
// for resizing, since Streamlit redraws elements without reloading the page.
(() => {
  if (window.__aecoreFitFormulas) return;
  window.__aecoreFitFormulas = true;
  const fit = (box) => {
    const formula = box.querySelector(":scope > .katex");
    if (!formula || box.clientWidth === 0) return;
    formula.style.fontSize = "";  // KaTeX's own size first: the box may have grown
    // Aim a few pixels short: KaTeX's struts keep about 2 px of overflow at any type size.
    for (let i = 0; i < 6 && box.scrollWidth > box.clientWidth + 0.5; i++) {
      const size = parseFloat(getComputedStyle(formula).fontSize);
      formula.style.fontSize = `${Math.floor(size * ((box.clientWidth - 4) / box.scrollWidth) * 100) / 100}px`;
    }
    box.dataset.fitted = box.scrollWidth > box.clientWidth + 0.5 ? "no" : "yes";
  };
  let pending = false;
  const fitAll = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      document.querySelectorAll(".katex-display").forEach(fit);
    });
  };
  new MutationObserver(fitAll).observe(document.body, {childList: true, subtree: true});
  window.addEventListener("resize", fitAll);
  fitAll();
})();
