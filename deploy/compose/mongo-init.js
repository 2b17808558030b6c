// One-shot replica-set bootstrap for docker-compose.yml (run by the `mongo-init` service, in
// mongo1's network namespace):
//   mongosh --quiet --norc "mongodb://127.0.0.1:27017/?directConnection=true" --file mongo-init.js
// Idempotent: signs in as the admin (MONGO_ADMIN_PASSWORD_FILE) when it exists, initiates rs0
// only when it has no configuration yet, waits for a primary, creates the admin on a first
// start (the localhost exception: with no user yet, a connection from localhost may create the
// first), then waits until the set has a majority of healthy members (what transactions and
// majority writes need). The other users are `hdnd mongodb users`' (the `mongo-users` service).
// Exits non-zero on failure so services that depend on it (service_completed_successfully)
// do not start against a set that cannot take writes.

const REPLICA_SET = process.env.MONGO_REPLICA_SET || "rs0";
const MEMBERS = (process.env.MONGO_MEMBERS || "mongo1:27017,mongo2:27017,mongo3:27017")
  .split(",")
  .map((host) => host.trim())
  .filter((host) => host.length > 0);
const TIMEOUT_MS = Number(process.env.MONGO_INIT_TIMEOUT_MS || 120000);

const ADMIN_PASSWORD = require("fs")
  .readFileSync(process.env.MONGO_ADMIN_PASSWORD_FILE || "/run/secrets/mongodb/admin", "utf8")
  .trim();

const NOT_YET_INITIALIZED = 94;
const ALREADY_INITIALIZED = 23;

function signIn() {
  try {
    const res = db.getSiblingDB("admin").auth("admin", ADMIN_PASSWORD);
    return res.ok === 1;
  } catch (e) {
    return false; // no admin yet: a first start
  }
}

// Server errors come back as thrown MongoServerErrors in mongosh; normalise them to documents.
// The result is assigned before it is returned on purpose: mongosh awaits shell calls only in
// assignments and expressions, so `return db.adminCommand(cmd)` would let a rejection escape
// this try/catch.
function command(cmd) {
  try {
    const res = db.adminCommand(cmd);
    return res;
  } catch (e) {
    return { ok: 0, code: e.code, codeName: e.codeName, errmsg: e.message };
  }
}

function fail(message) {
  print(`mongo-init: ERROR: ${message}`);
  quit(1);
}

let signedIn = signIn();
const status = command({ replSetGetStatus: 1 });
if (status.ok === 1) {
  print(`mongo-init: replica set ${status.set} already initiated; nothing to do`);
} else if (status.code === NOT_YET_INITIALIZED) {
  const config = {
    _id: REPLICA_SET,
    // mongo1 first: the admin is created through its localhost exception, on the primary.
    members: MEMBERS.map((host, i) => ({ _id: i, host, priority: i === 0 ? 2 : 1 })),
  };
  print(`mongo-init: initiating ${REPLICA_SET} with ${MEMBERS.join(", ")}`);
  const res = command({ replSetInitiate: config });
  if (res.ok === 1) {
    print("mongo-init: replSetInitiate accepted");
  } else if (res.code === ALREADY_INITIALIZED) {
    print("mongo-init: already initiated (concurrent run); nothing to do");
  } else {
    fail(`replSetInitiate failed: ${res.codeName || res.code}: ${res.errmsg}`);
  }
} else {
  fail(`replSetGetStatus failed: ${status.codeName || status.code}: ${status.errmsg}`);
}

// The admin, once this member is the primary (users are written there).
const deadline = Date.now() + TIMEOUT_MS;
while (!signedIn) {
  if (command({ hello: 1 }).isWritablePrimary) {
    const res = command({
      createUser: "admin",
      pwd: ADMIN_PASSWORD,
      roles: [{ role: "root", db: "admin" }],
      mechanisms: ["SCRAM-SHA-256"],
    });
    if (res.ok !== 1) {
      fail(`creating the admin failed: ${res.codeName || res.code}: ${res.errmsg}`);
    }
    print("mongo-init: admin created");
    signedIn = signIn();
    if (!signedIn) {
      fail("cannot sign in as the admin just created");
    }
  } else if (Date.now() > deadline) {
    fail(`mongo1 did not become primary after ${TIMEOUT_MS} ms`);
  } else {
    sleep(1000);
  }
}

// Wait for a primary and a majority of members in PRIMARY/SECONDARY state.
for (;;) {
  const st = command({ replSetGetStatus: 1 });
  if (st.ok === 1) {
    const primary = st.members.find((m) => m.stateStr === "PRIMARY");
    const healthy = st.members.filter((m) => m.stateStr === "PRIMARY" || m.stateStr === "SECONDARY");
    const majority = Math.floor(st.members.length / 2) + 1;
    if (primary && healthy.length >= majority) {
      print(`mongo-init: primary ${primary.name}; members: ` +
        st.members.map((m) => `${m.name}=${m.stateStr}`).join(", "));
      quit(0);
    }
  }
  if (Date.now() > deadline) {
    fail(`no primary with a healthy majority after ${TIMEOUT_MS} ms: ` +
      (st.ok === 1 ? st.members.map((m) => `${m.name}=${m.stateStr}`).join(", ") : st.errmsg));
  }
  sleep(1000);
}
