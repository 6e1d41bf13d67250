// notify is the last stage of skiff's pipeline example: it receives
// pipeline.thumbnail CloudEvents (binary mode, image/jpeg data) through the
// `cloudevents` package, logs each one and answers 202 with no body, so
// nothing goes back into the broker. It keeps the latest events in memory
// and serves them as JSON at GET /, data base64-encoded.
"use strict";

const http = require("node:http");
const { HTTP } = require("cloudevents");

const port = Number(process.env.PORT || 8080);
const keep = 20; // how many events GET / shows
const maxBody = 10 << 20;
const received = [];

// jpegSize reads the width and height from a JPEG's start-of-frame marker,
// or returns null when buf is not a JPEG.
function jpegSize(buf) {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < buf.length) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    const isSOF = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSOF) return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    i += 2 + buf.readUInt16BE(i + 2);
  }
  return null;
}

function record(event) {
  const data = event.data == null ? Buffer.alloc(0)
    : Buffer.isBuffer(event.data) || event.data instanceof Uint8Array ? Buffer.from(event.data)
    : Buffer.from(typeof event.data === "string" ? event.data : JSON.stringify(event.data));
  const size = jpegSize(data);
  const r = {
    id: event.id,
    type: event.type,
    source: event.source,
    subject: event.subject,
    time: event.time,
    datacontenttype: event.datacontenttype,
    uploadid: event.uploadid,
    imageid: event.imageid,
    bytes: data.length,
    width: size ? size.width : null,
    height: size ? size.height : null,
    data: data.toString("base64"),
    receivedAt: new Date().toISOString(),
  };
  received.push(r);
  if (received.length > keep) received.shift();
  const dims = size ? `${size.width}x${size.height}` : "not a JPEG";
  console.log(`notify: ${r.type} ${r.id} from ${r.source} subject=${r.subject} upload=${r.uploadid} ${r.datacontenttype} ${dims}, ${r.bytes} bytes`);
}

const server = http.createServer((req, res) => {
  if (req.method === "GET") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ events: received }));
    return;
  }
  if (req.method !== "POST") {
    res.writeHead(405, { Allow: "GET, POST" });
    res.end();
    return;
  }
  const chunks = [];
  let length = 0;
  req.on("data", (c) => {
    length += c.length;
    if (length > maxBody) {
      res.writeHead(413);
      res.end();
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on("end", () => {
    if (res.writableEnded) return;
    const body = Buffer.concat(chunks);
    let event;
    try {
      // Binary mode keeps non-JSON data as the Buffer it came in; the
      // structured (JSON) parser needs a string.
      const structured = String(req.headers["content-type"] || "").startsWith("application/cloudevents");
      event = HTTP.toEvent({ headers: req.headers, body: structured ? body.toString("utf8") : body });
    } catch (err) {
      console.error(`notify: not a CloudEvent: ${err.message || err}`);
      res.writeHead(400, { "Content-Type": "text/plain" });
      res.end(`not a CloudEvent: ${err.message || err}\n`);
      return;
    }
    for (const e of Array.isArray(event) ? event : [event]) record(e);
    // No body: the event stops here.
    res.writeHead(202);
    res.end();
  });
});

server.listen(port, () => console.log(`notify listening on :${port}`));

for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
