// One script of real work with @bitrix24/b24jssdk (the official JS SDK), unmodified.
//
//   node b24jssdk_work.mjs https://127.0.0.1:PORT OUT.json
//
// The SDK always speaks https; NODE_EXTRA_CA_CERTS makes Node trust the test CA. Writes
// what the client returned to OUT.json for tests/clients/run.sh to compare. Calls are
// awaited one by one, so the writes reach both emulators in the same order and the
// created tasks get the same ids.
import { writeFileSync } from 'node:fs'
import { B24Hook } from '@bitrix24/b24jssdk'

const [base, outPath] = process.argv.slice(2)
const b24 = new B24Hook({ b24Url: base, userId: 1, secret: 'hook1' })
b24.offClientSideWarning()

const SELECT = ['ID', 'TITLE', 'STATUS', 'PRIORITY', 'RESPONSIBLE_ID', 'CREATED_BY', 'DEADLINE', 'GROUP_ID']

// An AjaxResult or Result as plain data: success, data (result and time) and errors.
function plain (response) {
  return {
    isSuccess: response.isSuccess,
    data: response.getData() ?? null,
    errors: response.isSuccess ? [] : response.getErrorMessages()
  }
}

// A batch Result holding AjaxResults per command.
function plainBatch (response) {
  const data = response.getData()
  const each = Array.isArray(data)
    ? data.map(plain)
    : Object.fromEntries(Object.entries(data).map(([k, v]) => [k, plain(v)]))
  return { isSuccess: response.isSuccess, errors: response.isSuccess ? [] : response.getErrorMessages(), each }
}

async function call (method, params) {
  return b24.actions.v2.call.make({ method, params })
}

async function main () {
  const out = {}

  out.get = plain(await call('tasks.task.get', { taskId: 1 }))
  out.get_select = plain(await call('tasks.task.get', { taskId: 2, select: SELECT }))
  out.get_missing = plain(await call('tasks.task.get', { taskId: 999999 }))

  // callList: keyset pages (order ID ASC, filter >ID last, start -1) until a short page.
  const all = await b24.actions.v2.callList.make({
    method: 'tasks.task.list',
    params: { select: SELECT },
    idKey: 'id',
    cursorIdKey: 'ID',
    customKeyForResult: 'tasks'
  })
  out.call_list = plain(all)
  const filtered = await b24.actions.v2.callList.make({
    method: 'tasks.task.list',
    params: { select: ['ID', 'TITLE'], filter: { '<ID': 120 } },
    idKey: 'id',
    cursorIdKey: 'ID',
    customKeyForResult: 'tasks'
  })
  out.call_list_filtered = plain(filtered)
  const counts = [all, filtered].map((r) => (r.isSuccess ? r.getData().length : 0))
  if (Math.min(...counts) <= 50) {
    throw new Error(`expected more than one page: ${counts}`)
  }

  const added = await call('tasks.task.add', {
    fields: { TITLE: 'b24jssdk: Hello & [x]', RESPONSIBLE_ID: 1, PRIORITY: 2 }
  })
  out.add = plain(added)
  const taskId = Number(added.getData().result.task.id)
  out.update = plain(await call('tasks.task.update', {
    taskId,
    fields: { TITLE: 'b24jssdk: renamed', STATUS: 3 }
  }))
  out.get_after_update = plain(await call('tasks.task.get', { taskId, select: SELECT }))

  // batch with named commands (cmd as an object) ...
  out.batch_object = plainBatch(await b24.actions.v2.batch.make({
    calls: {
      one: { method: 'tasks.task.get', params: { taskId: 1, select: ['ID', 'TITLE'] } },
      some: ['tasks.task.list', { select: ['ID', 'TITLE'], filter: { ID: [2, 3, 4] }, order: { ID: 'ASC' } }],
      added: ['tasks.task.add', { fields: { TITLE: 'b24jssdk: in a batch', RESPONSIBLE_ID: 1 } }],
      missing: ['tasks.task.get', { taskId: 999999 }],
      not_found: ['tasks.task.update', { taskId: 999999, fields: { TITLE: 'nobody' } }]
    },
    options: { isHaltOnError: false, returnAjaxResult: true }
  }))
  // ... and as an array (cmd as a JSON list, results keyed 0..n-1).
  out.batch_array = plainBatch(await b24.actions.v2.batch.make({
    calls: [
      ['tasks.task.get', { taskId: 2, select: ['ID', 'TITLE'] }],
      ['tasks.task.list', { select: ['ID'], filter: { '>ID': 140 }, order: { ID: 'DESC' } }],
      ['tasks.task.update', { taskId, fields: { PRIORITY: 0 } }]
    ],
    options: { isHaltOnError: true, returnAjaxResult: true }
  }))

  out.delete = plain(await call('tasks.task.delete', { taskId }))
  out.get_deleted = plain(await call('tasks.task.get', { taskId }))

  // Last, a call REST 3.0 cannot express (a filter on RESPONSIBLE_ID): the bridge passes it
  // to v2, as run.sh's served-by check expects.
  out.fallback = plain(await call('tasks.task.list', {
    select: ['ID', 'TITLE'],
    filter: { RESPONSIBLE_ID: 7, '<ID': 40 }
  }))

  writeFileSync(outPath, JSON.stringify(out, null, 1))
  console.error(`b24jssdk: ${counts[0]} tasks, ${counts[1]} filtered, done`)
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error('b24jssdk script failed:', error)
    process.exit(1)
  }
)
