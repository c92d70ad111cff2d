/** CI files `init` writes: the check on every pull request (its merge result) and on main. */
export function githubWorkflow(branch = 'main'): string {
  return `# Written by \`modelreg init\`. Checks every pull request against the policy of its base
# branch, and the registry branch after every push. For pull_request events GitHub checks out
# the merge result (refs/pull/N/merge), so two promotions that merge cleanly but together
# break an exclusive stage are caught. Require this check and "up to date" branches (or a
# merge queue) in the branch protection of ${branch}.
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
      - name: Check the pull request against the base branch's policy
        if: github.event_name == 'pull_request'
        run: npx --yes modelreg check --base "origin/\${{ github.base_ref }}" --format github --forge github
        env:
          GITHUB_TOKEN: \${{ secrets.GITHUB_TOKEN }}
      - name: Check the merge queue entry
        if: github.event_name == 'merge_group'
        run: npx --yes modelreg check --base "\${{ github.event.merge_group.base_sha }}" --format github
      - name: Check the registry
        if: github.event_name == 'push'
        run: npx --yes modelreg check --format github
`;
}

export function gitlabJob(branch = 'main'): string {
  return `# Written by \`modelreg init\`. Merge request pipelines check the merged result against
# the policy of the target branch.
modelreg-check:
  image: node:20
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == "${branch}"
  script:
    - git fetch origin "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" || true
    - |
      if [ -n "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" ]; then
        npx --yes modelreg check --base "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
      else
        npx --yes modelreg check
      fi
`;
}
