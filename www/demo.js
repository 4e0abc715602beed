// The demo page: fetches the demo website's public id, fills in the snippet, and loads the
// widget exactly as a customer's page would (one script tag).
const res = await fetch('/v1/demo');
if (res.ok) {
  const demo = await res.json();
  const src = `${location.origin}/widget.js`;
  document.getElementById('snippet').textContent =
    `<script src="${src}" data-website-id="${demo.websiteId}" async></script>`;
  document.getElementById('console-link').href =
    `/console/?website=${encodeURIComponent(demo.websiteId)}&username=${encodeURIComponent(demo.consultantUsername)}`;
  const tag = document.createElement('script');
  tag.src = src;
  tag.async = true;
  tag.dataset.websiteId = demo.websiteId;
  tag.dataset.title = 'Chatix demo';
  document.body.append(tag);
} else {
  document.getElementById('demo-status').textContent =
    'This server has no demo website (started with --no-demo).';
}
