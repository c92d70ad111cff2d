/**
 * CI files `init` writes: the check on every pull request (its merge result) and on main. The
 * modelreg they run is pinned: the exact version `init` ran as (or `init --cli-source`), never
 * a bare package name that whoever publishes it next would decide, run with the repository's token.
 */

/** Where CI installs modelreg from: an npm install spec (`modelreg@0.1.0`, a tarball, a Git URL, a path). */
export interface CliSource {
  spec: string;
}

/**
 * The install step's command: a global install, so every later step runs the same `modelreg`.
 * Specs are checked to hold no quote (init.ts), so single quotes suffice.
 * @example installCommand({ spec: 'modelreg@0.1.0' }) // "npm install --global --no-audit --no-fund 'modelreg@0.1.0'"
 */
export function installCommand(cli: CliSource): string {
  return `npm install --global --no-audit --no-fund '${cli.spec}'`;
}

export function githubWorkflow(cli: CliSource, branch = 'main'): string {
  return `# Written by \`modelreg init\`. Checks every pull request against the policy of its base
# branch, and the registry branch after every push. For pull_request events GitHub checks out
# the merge result (refs/pull/N/merge), so two promotions that merge cleanly but together
# break an exclusive stage are caught. Require this check and "up to date" branches (or a
# merge queue) in the branch protection of ${branch}.
# The modelreg it runs is installed from ${cli.spec} (set by \`modelreg init\`, never a
# bare package name): change it here to upgrade.
name: modelreg
on:
  pull_request:
  merge_group:
  push:
    branches: [${branch}]
permissions:
  contents: read
  pull-requests: read
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - name: Install modelreg (pinned by modelreg init)
        run: ${installCommand(cli)}
      - name: Check the pull request against the base branch's policy
        if: github.event_name == 'pull_request'
        run: modelreg check --base "origin/\${{ github.base_ref }}" --format github --forge github
        env:
          GITHUB_TOKEN: \${{ secrets.GITHUB_TOKEN }}
      - name: Check the merge queue entry
        if: github.event_name == 'merge_group'
        run: modelreg check --base "\${{ github.event.merge_group.base_sha }}" --format github
      - name: Check the registry
        if: github.event_name == 'push'
        run: modelreg check --format github
${githubNotifyJob(cli)}`;
}

/**
 * The `.gitlab-ci.yml` `init` writes for a registry on GitLab: merge request pipelines check
 * the change against the target branch's policy (base CI_MERGE_REQUEST_DIFF_BASE_SHA),
 * counting GitLab approvals when MODELREG_TOKEN is set, and publish the Code Quality, JUnit
 * and metrics reports; pipelines on the registry branch check the whole registry.
 * `install` is a shell command that installs a pinned `modelreg` first; without it the job
 * runs `npx --yes modelreg`.
 */
export function gitlabCi(opts: { branch?: string; install?: string } = {}): string {
  const branch = opts.branch ?? 'main';
  const cli = opts.install ? 'modelreg' : 'npx --yes modelreg';
  return `# Written by \`modelreg init\`. Merge request pipelines check the change against the policy of
# the target branch; pipelines on ${branch} check the whole registry. The Code Quality, test and
# metrics reports appear in the merge request.
# To count approvals given on GitLab (as gitlab:<username> in policy groups), add a masked
# CI/CD variable MODELREG_TOKEN: a project access token with the read_api scope (Reporter).
# Without it, approvals count only when the approver commits them (modelreg approve).
# Make the pipeline required: Settings > Merge requests > "Pipelines must succeed".
modelreg-check:
  image: node:20
  variables:
    GIT_DEPTH: "0" # the merge request's diff base must be in the clone
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == "${branch}"
  script:
${opts.install ? `    - ${opts.install}\n` : ''}    - |
      if [ "$CI_PIPELINE_SOURCE" = "merge_request_event" ]; then
        if [ -n "$MODELREG_TOKEN" ]; then
          ${cli} check --forge gitlab --format gitlab --output-dir modelreg-reports
        else
          ${cli} check --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --format gitlab --output-dir modelreg-reports
        fi
      else
        ${cli} check --format gitlab --output-dir modelreg-reports
      fi
  artifacts:
    when: always
    paths: [modelreg-reports/]
    reports:
      codequality: modelreg-reports/gl-code-quality-report.json
      junit: modelreg-reports/modelreg-junit.xml
      metrics: modelreg-reports/metrics.txt
${gitlabNotifyJob(branch, cli, opts.install)}`;
}

/**
 * The notify step of the CI files (issue 14): after a push to the registry branch, deliver the
 * new events to the webhooks of modelreg.yaml and push the cursor refs, so the next run resumes
 * where this one stopped. With no webhooks configured it does nothing.
 */
function githubNotifyJob(cli: CliSource): string {
  return `  notify:
    if: github.event_name == 'push'
    needs: check
    runs-on: ubuntu-latest
    permissions:
      contents: write
    concurrency: modelreg-notify
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - name: Install modelreg (pinned by modelreg init)
        run: ${installCommand(cli)}
      - name: Deliver new registry events to the webhooks (docs/events.md)
        run: |
          git fetch origin '+refs/modelreg/notify/*:refs/modelreg/notify/*' || true
          modelreg notify --push
        env:
          GITHUB_TOKEN: \${{ secrets.GITHUB_TOKEN }}
          # each webhook's secretEnv, e.g. DEPLOY_WEBHOOK_SECRET: \${{ secrets.DEPLOY_WEBHOOK_SECRET }}
`;
}

function gitlabNotifyJob(branch: string, cli: string, install?: string): string {
  return `
# Delivers new registry events to the webhooks of modelreg.yaml (docs/events.md) and pushes the
# cursor refs: needs MODELREG_TOKEN (write access) and each webhook's secretEnv as CI variables.
modelreg-notify:
  image: node:20
  needs: [modelreg-check]
  resource_group: modelreg-notify
  rules:
    - if: $CI_COMMIT_BRANCH == "${branch}"
  script:
    - git fetch origin '+refs/modelreg/notify/*:refs/modelreg/notify/*' || true
${install ? `    - ${install}\n` : ''}    - ${cli} notify --push
`;
}
