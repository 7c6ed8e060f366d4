/**
 * The CLI's help texts.
 * @module
 */

/** The command lines edgepod accepts: printed after a malformed one. */
export const SYNOPSIS = `usage: edgepod dev <file> [--port N] [--host H] [--no-playground]
       edgepod run <file> [--input JSON | --test_input JSON]
       edgepod --help | --version
`

/** What `edgepod --help` prints. */
export const HELP = `edgepod: serve a RunPod-style worker file, or run one job through it.

Usage:
  edgepod dev <file> [--port N] [--host H] [--no-playground]
      Serve the worker that <file> exports by default over HTTP, with RunPod's job API.
      --port defaults to $PORT (as RunPod sets it), else 8000 (0 picks a free port); --host to 127.0.0.1.
      When <file> or a file it imports changes, the worker reloads on the same port (its jobs,
      kept in memory, start afresh); a version that fails to load leaves the last one serving.
      A playground page (send an input, watch outputs, progress, logs and the final status, cancel)
      is served at /playground, and at / too unless the worker answers GET / itself.
      --no-playground leaves out the page. Deployments serve it only if the worker file wraps
      its worker with withPlayground().
  edgepod run <file> [--input JSON | --test_input JSON]
      Run one job through the worker, print each output as a JSON line as it arrives
      (progress reports as "progress: JSON"), then the final status object. The handler's
      job.log lines go to stderr as "[level] message".
      --input is the job's input; --test_input is the whole request body, {"input": ...}.
      Either takes @path.json to read a file. Without both, ./test_input.json is the body.
      Ctrl-C cancels the job.

<file> may be TypeScript: on Node before 22.18, install tsx beside edgepod to load it.
edgepod --version prints the version. Exit codes: 0 success (for run: the job COMPLETED), 1 the job did not
complete or something failed, 2 a usage error.
`
