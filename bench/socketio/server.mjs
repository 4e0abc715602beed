// The reference Socket.IO 4 chat server of `npm run bench`: what a developer would write
// with it (rooms, broadcast to a room). WebSocket transport only, no compression, so the
// comparison is like for like. Usage: node bench/socketio/server.mjs PORT
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? 3300);
const io = new Server(port, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
io.on('connection', (socket) => {
  socket.on('join', (room) => socket.join(room));
  socket.on('msg', (m) => io.to(m.room).emit('msg', m));
});
console.log(`socket.io listening on ${port}`);
