import type {YAMLMap} from 'yaml'
import {header} from './github.js'
import type {CiApp, CiPlan} from './plan.js'
import {loadTemplate, render, spaceEntries} from './template.js'

/** The GitLab pipeline: templates/gitlab-ci.yml plus one deploy job per app. */
export async function renderGitlab(plan: CiPlan, templates: string): Promise<string> {
  const doc = await loadTemplate(templates, 'gitlab-ci.yml')
  const cd = plan.workdir === '' ? [] : [`cd ${plan.workdir}`]
  // npm's download cache kept in the project directory (GitLab caches nothing outside it), keyed
  // on the lockfile; without one there is nothing stable to key it on.
  const locked = plan.install.command === 'npm ci'
  const install = locked ? 'npm ci --cache "$CI_PROJECT_DIR/.npm" --prefer-offline' : plan.install.command
  const setup = [plan.install.dir === '' ? install : `(cd ${plan.install.dir} && ${install})`]
  const lockfile = `${plan.install.dir === '' ? '' : `${plan.install.dir}/`}package-lock.json`
  doc.setIn(['variables', 'FLYCTL_VERSION'], plan.flyctlVersion)
  ;(doc.getIn(['variables', 'FLYCTL_VERSION'], true) as {comment?: string | null}).comment = null
  const script = (key: string, command: string): void => {
    const node = doc.createNode([...setup, ...cd, command])
    doc.setIn([key, 'script'], node)
    if (locked) doc.setIn([key, 'cache'], doc.createNode({key: {files: [lockfile]}, paths: ['.npm/']}))
  }
  if (plan.splitCheck) script('check', `${plan.flotilla} ${plan.splitCheck}`)
  else doc.delete('check')
  const stages = [...(plan.splitCheck ? ['check'] : []), 'test', ...(plan.buildOnce ? ['build'] : []), 'release', 'deploy']
  doc.setIn(['stages'], doc.createNode(stages, {flow: true}))
  script('test', `${plan.flotilla} exec -- ${plan.test}`)
  const rules = (paths: string[]): unknown[] => [
    {if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $DEPLOY_ALL == "true"'},
    {if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"', changes: [...new Set([...paths, ...plan.shared])]},
  ]
  // Built once (stage build) when every app deploys the same image; the label is the pipeline's.
  const label = '$CI_COMMIT_SHA-$CI_PIPELINE_ID'
  const image = plan.buildOnce ? ` --image registry.fly.io/${plan.buildOnce.app}:${label}` : ''
  const job = (app: CiApp, stage: string): unknown => doc.createNode({
    extends: '.fly-deploy',
    stage,
    resource_group: `fly-${app.name}`,
    ...(plan.tokenPerApp ? {variables: {FLY_API_TOKEN: `$${app.token}`}} : {}),
    rules: rules(app.paths),
    script: [...cd, `flyctl deploy --remote-only -c ${app.config}${image}`],
  })
  const root = doc.contents as YAMLMap
  const all = [...(plan.release ? [plan.release] : []), ...plan.apps]
  if (plan.buildOnce) {
    root.add(doc.createPair('build', doc.createNode({extends: '.fly-deploy', stage: 'build', rules: rules(all.flatMap((a) => a.paths)),
      script: [...cd, `flyctl deploy --build-only --push --remote-only -c ${plan.buildOnce.config} --image-label "${label}"`]})))
  }
  if (plan.release) root.add(doc.createPair(`deploy:${plan.release.name}`, job(plan.release, 'release')))
  for (const app of plan.apps) root.add(doc.createPair(`deploy:${app.name}`, job(app, 'deploy')))
  for (const key of ['check', 'test']) {
    const node = doc.getIn([key, 'script'], true) as YAMLMap | undefined
    if (node) (node as {comment?: string | null}).comment = null
  }
  spaceEntries(root)
  return render(doc, header(plan))
}
