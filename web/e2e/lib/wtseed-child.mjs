// A WebTorrent seeder in its own Node process (see wtSeedIsolated in
// webtorrent.mjs): argv dir, tracker ws:// URL, options as JSON. Tells its
// parent {infoHash, magnet, torrentFile (base64)} once seeding; stops on
// 'stop' or when the parent goes.
import { wtSeed } from './webtorrent.mjs'

const [dir, trackerWs, optsJSON] = process.argv.slice(2)
const seeder = await wtSeed(dir, trackerWs, JSON.parse(optsJSON || '{}'))
const stop = async () => {
  await seeder.stop().catch(() => {})
  process.exit(0)
}
process.on('message', m => { if (m === 'stop') stop() })
process.on('disconnect', stop)
process.send({ infoHash: seeder.infoHash, magnet: seeder.magnet, torrentFile: Buffer.from(seeder.torrentFile).toString('base64') })
