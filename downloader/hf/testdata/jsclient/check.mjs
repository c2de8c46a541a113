// Reads a Hub cache with @huggingface/hub, with every network call refused,
// and prints what the client saw as JSON. Arguments: the cache folder, the
// repo id, the commit, then the paths of the files in the repo.
import { scanCacheDir, downloadFileToCacheDir, getHFHubCachePath } from "@huggingface/hub";

const [cacheDir, repo, commit, ...paths] = process.argv.slice(2);
const network = [];
const refuse = async (url) => {
  network.push(String(url));
  throw new Error("no network in this check");
};
globalThis.fetch = refuse;

const scan = await scanCacheDir(cacheDir);
const downloads = [];
for (const path of paths) {
  try {
    const local = await downloadFileToCacheDir({
      repo, path, revision: commit, cacheDir, hubUrl: process.env.CHECK_HUB_URL, fetch: refuse,
    });
    downloads.push({ path, local });
  } catch (err) {
    downloads.push({ path, error: String(err) });
  }
}
console.log(JSON.stringify({
  defaultCacheDir: getHFHubCachePath(),
  warnings: scan.warnings.map(String),
  repos: scan.repos.map((r) => ({
    id: r.id, path: r.path, size: r.size, filesCount: r.filesCount,
    revisions: r.revisions.map((v) => ({
      commitOid: v.commitOid, refs: v.refs, size: v.size,
      files: v.files.map((f) => ({ path: f.path, blobPath: f.blob.path, size: f.blob.size })),
    })),
  })),
  downloads,
  network,
}));
