// A server's live JS heap for the bench's child processes: OBJECTS_MIB of small records (~100
// bytes each, with a string, as a cache or session table holds), 1% of which change every 20 ms.
function liveHeap(objectsMib) {
  const objects = Array.from({ length: Math.round((objectsMib * 1024 * 1024) / 100) },
    (_, i) => ({ id: i, name: `user-${i}`, hits: 0, score: Math.random() }));
  setInterval(() => {
    for (let n = 0; n < objects.length / 100; n++) {
      const object = objects[Math.floor(Math.random() * objects.length)];
      object.hits++;
      object.score = Math.random();
    }
  }, 20);
  return objects;
}

module.exports = { liveHeap };
