"""Every hook a myco plugin can implement.

Implement a hook by defining a function (or a method of a plugin object) with the hook's
name, decorated with `@myco.hookimpl`:

```python
from myco import VerbSpec, hookimpl

@hookimpl
def register_verbs(verbs):
    verbs.add(VerbSpec("wave", lambda state, event: None, "say hello"))
```

An implementation may accept any subset of the hook's arguments, by name: pluggy passes
only those it asks for.

## How hooks are called

- **Every hook is an ordinary pluggy call**: wrappers (`@hookimpl(wrapper=True)`, or the
  older `hookwrapper=True`) run around the other implementations, `tryfirst` and
  `trylast` are honoured, and each implementation receives only the arguments it names.
- **Registration hooks** (`register_*`) are called once, synchronously, while a daemon, a
  `myco.testing.Swarm` or another host is built. Each receives a typed registry and adds
  to it. Built-in plugins fill a registry first (in the order of `DEFAULT_PLUGINS`), then
  third-party plugins, unless one says `tryfirst=True`. A registry refuses a name another
  plugin already took, with a `RegistryError` that names both plugins (a wrapper is named
  for what it adds before or after its `yield`), unless the newcomer passes
  `replace=True`.
- **`authenticate`, `startup` and `shutdown`** may be plain functions or `async def`.
  myco calls the hook, then awaits each result that is awaitable, in call order. None of
  the hooks uses pluggy's `firstresult`: a coroutine is not `None`, so it would always win.
- **Call order** is pluggy's: `tryfirst=True` implementations first, `trylast=True` ones
  last, otherwise the most recently registered first. `make_plugin_manager` registers
  entry-point plugins, then `extra` plugins, then the built-ins (in reverse), so the
  built-ins run first, in the order listed; write `@hookimpl(tryfirst=True)` to run
  before a built-in. A plugin registered on the manager afterwards runs before them.
- **Errors** are not swallowed: an exception raised by an implementation propagates to
  the caller (the daemon fails to start, the request fails with a 500 logged by the
  daemon, and so on), except `AuthError` from `authenticate`, which is the way to refuse
  a request, and `events_ingested`, a notification: an implementation (or wrapper) that
  raises is logged (`events_ingested failed`, with the plugin's name) and the others
  still run; the post stays accepted.

## Evolution policy

Plugins written against one myco release keep working on the next ones:

- **Arguments may be added** to a hook at any release. Because pluggy passes an
  implementation only the arguments it names, existing implementations are unaffected.
  Implementations must therefore name their parameters exactly as documented here.
- **Nothing is renamed or removed without a deprecation release.** A hook or argument
  that is going away first warns, through pluggy's `warn_on_impl` / `warn_on_impl_args`,
  for at least one minor release, with the replacement in the warning and in the
  changelog.
- **Registries only grow.** New optional fields on `VerbSpec`, `Renderer`,
  `StorageBackend`, `ViewSection` and `GuideEntry` get defaults; existing fields keep
  their meaning.
- **Every hook carries `versionadded`** in its docstring; a changed hook gets a
  `versionchanged` note and a changelog entry.
- **New hooks** get a docstring here (it is the reference: `docs/plugins/hooks.md` is
  generated from it), a test, and an entry in `Hooks`, the typed facade in `myco.plugins`
  through which core calls every hook.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from aiohttp import web

    from myco.auth.actor import Actor
    from myco.cli.registry import CommandRegistry
    from myco.daemon import Daemon
    from myco.options import OptionRegistry
    from myco.protocol.events import Event
    from myco.registry import (
        AdapterRegistry,
        GuideRegistry,
        RendererRegistry,
        StorageRegistry,
        TransportRegistry,
        VerbRegistry,
        ViewSectionRegistry,
    )
    from myco.tenants import Tenant

hookspec = pluggy.HookspecMarker("myco")
hookimpl = pluggy.HookimplMarker("myco")


# -- registration ---------------------------------------------------------------------


@hookspec
def register_verbs(verbs: VerbRegistry) -> None:
    """Add protocol verbs: the words agents write in a `<myco>` block.

    **When:** once per verb registry, when the daemon is built and when a
    [`Swarm`][myco.testing.Swarm] is created.

    Each verb is a [`VerbSpec`][myco.registry.VerbSpec] (its fields say what a verb can
    do: apply, lint, visibility, a session target, extra keys). Keep per-plugin state in
    `state.extras[<plugin name>]`: it is rebuilt from the events on replay like everything
    else in `SwarmState`.

    :param verbs: `verbs.add(VerbSpec(...), replace=False)` adds a verb (with its aliases);
        `verbs.observe(fn)` calls `fn(state, event)` after every applied event, whatever its
        verb: this is how a plugin reacts to other plugins' verbs (the example plugin closes
        a review request when the reviewer posts `done … re:<object>`).
        `verbs.presence(fn)` tells views whether sessions are there: `fn(state, session,
        now_ms)` returns a [`Presence`][myco.registry.Presence] (state, since, gone) or
        `None`; PEERS, SESSIONS and the dashboard show it, and PEERS leaves out a `gone`
        session (the context plugin's liveness is one). Warnings a verb's `lint` returns for
        an internal verb posted by the agent hooks (`live`) are shown to the human.
    :returns: nothing; the return value is ignored.
    :raises RegistryError: (from `verbs.add`) for a name or alias another plugin
        registered, unless `replace=True`.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       `verbs.presence`.
    """


@hookspec
def register_renderers(renderers: RendererRegistry, sections: ViewSectionRegistry) -> None:
    """Add view formats, served at `GET /view/{session}?format=NAME`.

    **When:** once, when the daemon is built (and by [`Swarm`][myco.testing.Swarm]), after
    [`register_view_sections`][myco.hookspecs.register_view_sections].

    An unknown `format` is answered with 400 and the list of available formats.

    :param renderers: call `renderers.add(Renderer(name, render, content_type))`, where
        `render(state, session, now_ms, budget) -> str` renders what `session` may see and
        `budget` is the most characters the view should have. The built-ins are `markdown`
        (the worker and DIRECTOR views, `text/markdown`) and `json`.
    :param sections: every registered view section
        ([`ViewSectionRegistry`][myco.registry.ViewSectionRegistry]);
        `sections.for_role("worker" | "director")` lists those a role sees, in order. A
        format that lays out the same sections as the markdown view uses it (the built-ins
        do); an implementation that does not name it does not receive it.
    :returns: nothing; the return value is ignored.

    .. versionadded:: 0.1
    """


@hookspec
def register_storage(backends: StorageRegistry) -> None:
    """Add storage backends, selected with `myco serve --storage NAME` (default `file`).

    **When:** once, when the daemon is built.

    A `--storage` name no plugin registered stops the daemon with a message listing the
    installed backends.

    :param backends: call `backends.add(StorageBackend(name, factory, summary))`.
        `factory(config)` receives the daemon's `myco.config.Config` and returns an object
        following [`Storage`][myco.storage.contract.Storage]. Import heavy dependencies (a
        database driver) inside the factory, so that an installed but unused backend costs
        nothing. The contract suite every store passes ships as
        [`StorageContract`][myco.testing.storage.StorageContract].
    :returns: nothing; the return value is ignored.

    .. versionadded:: 0.1
    """


@hookspec
def register_adapters(adapters: AdapterRegistry) -> None:
    """Add agent-CLI adapters (Claude Code, Codex, Aider, ...).

    **When:** once, when the adapter registry is built (`myco run`, `myco worker`, the
    plugin-cache refresh). `myco hook` does not build the plugin manager: it imports the
    adapter from the module the plugin cache names, or, before there is a cache, calls the
    entry point's `register_adapters(adapters=...)` directly with a stand-in registry that
    has only `add` (docs/adapters.md, "Which adapter answers").

    :param adapters: call `adapters.add(adapter)` with an object following
        [`Adapter`][myco.adapters.protocol.Adapter] (its `name` is the registry key). Test it with
        [`AdapterHarness`][myco.testing.adapters.AdapterHarness].
    :returns: nothing; the return value is ignored.

    .. versionadded:: 0.1
    """


@hookspec
def register_transports(transports: TransportRegistry) -> None:
    """Add transports: ways events and views travel between agents and the daemon.

    The HTTP API is the built-in transport `http`.

    **When:** once, when the daemon is built; each transport's `setup(app, daemon)` is then
    called while the aiohttp application is created.

    :param transports: call `transports.add(transport)` with an object following
        `myco.transports.Transport`: a `name` and `setup(app, daemon)`, which adds routes,
        middlewares or `cleanup_ctx` entries to the application. Every route requires
        authentication (the `authenticate` hook) unless its route name is added to
        `app[myco.web.keys.PUBLIC_ROUTES]`. A transport serving HTTP routes documents them
        with `openapi(daemon)`, returning `{"paths": {...}, "schemas": {...}}`
        (`myco.transports.DocumentedTransport`): `GET /openapi.json` merges every
        transport's paths, so a disabled transport's paths leave with it. What a caller
        may do is decided by `myco.policy.ensure(actor, action, resource)`.
    :returns: nothing; the return value is ignored.

    .. versionadded:: 0.1
    """


# -- views and the agents' guide --------------------------------------------------


@hookspec
def register_view_sections(sections: ViewSectionRegistry) -> None:
    """Add a `## HEADING` section to the views agents read before every prompt.

    **When:** once, when the daemon is built (and by [`Swarm`][myco.testing.Swarm]),
    before [`register_renderers`][myco.hookspecs.register_renderers].

    Every section of the markdown view is one, the built-ins (NOW to PENDING MESSAGES, and
    SESSIONS, DEPENDENCY GRAPH, CONFLICTS for the DIRECTOR) registered by
    `myco.default_plugins.view_sections`. Each is a
    [`ViewSection`][myco.registry.ViewSection]: a heading, a render function, the roles
    that see it, its position (`order`), what the budget shrinks first (`priority`,
    `limit`, `steps`) and whether it is addressed to the viewer. `render(state, session,
    now_ms, limit) -> list[str]` returns the section's lines for `session` (none: the
    section is left out), showing at most `limit` items; it only reads the state
    (`state.extras[<plugin name>]` holds a plugin's own).

    **Layout and budget.** The markdown view shows the sections of the viewer's role by
    `order`. Every line of a third-party section goes through
    [`view_text`][myco.sanitize.view_text] (tags escaped, fences broken) and cannot start
    a heading: a plugin cannot forget. While the view is over its budget, sections shrink
    through their `steps` (lowest `priority` first), lines longer than an eighth of the
    budget are shortened, sections not addressed to the viewer are left out, and
    addressed sections lose their last lines, with a line saying how many; a closing note
    says what was left out. A section whose `render` raises is shown as unavailable and
    logged with the plugin's name. The JSON view lists third-party sections in its
    `sections` object (heading to `data(state, session, now_ms)`, or the lines).

    :param sections: call `sections.add(ViewSection(heading, render, ...), replace=False)`.
    :returns: nothing; the return value is ignored.
    :raises RegistryError: for a heading another plugin registered (unless
        `replace=True`), a heading that is not one line of plain text, unknown roles, or
        `steps` that do not decrease.

    .. versionadded:: 0.1
    """


@hookspec
def register_guide(guide: GuideRegistry) -> None:
    """Add to the agents' guide: what `myco guide` prints and `myco run` writes.

    **When:** each time the guide is assembled (`myco guide [--role worker|director]`,
    `myco run`), after [`register_verbs`][myco.hookspecs.register_verbs].

    The guide is the packaged `PROTOCOL.md` (plus `DIRECTOR.md` for the DIRECTOR) whose
    verbs table lists every registered verb, in registration order, with its
    `VerbSpec.example` and `VerbSpec.summary`: a verb is taught without this hook. Entries
    added here ([`GuideEntry`][myco.registry.GuideEntry]) follow the base text as
    `## heading` sections, by `order`, for the roles they name (`"worker"`, `"director"`,
    default both). With only the built-ins, the guide is the base text followed by the
    entries of the built-in plugins (deltas and receipts; files and leases).

    :param guide: call `guide.add(GuideEntry(heading, text), replace=False)`;
        `guide.verbs` is the verb registry.
    :returns: nothing; the return value is ignored.
    :raises RegistryError: for a heading another plugin registered, unless `replace=True`.

    .. versionadded:: 0.1
    """


# -- requests -------------------------------------------------------------------------


@hookspec
def authenticate(request: web.Request, daemon: Daemon) -> Actor | Awaitable[Actor | None] | None:
    """Turn an HTTP request into a `myco.auth.actor.Actor`.

    The actor is the tenant the request acts on and, optionally, the only session it may
    act as.

    **When:** for every request to a route that is not public, before its handler.

    Results are awaited in call order and the first non-`None` actor wins; the remaining
    results are not awaited. When every result is `None`, the request is refused with 401.
    The built-in `myco.default_plugins.auth_token` handles `Authorization: Bearer <token>`
    and returns `None` for any other request, so a plugin can accept other credentials
    next to it.

    :param request: the `aiohttp.web.Request`; read its headers, never its body.
    :param daemon: the `myco.daemon.Daemon`, for its config, tenants and
        `daemon.extras[<plugin name>]` runtime state.
    :returns: an `Actor`, `None` when the request is not for this plugin (no credential it
        knows), or an awaitable of either (`async def` is fine).
    :raises AuthError: (`myco.auth.actor.AuthError(message, status, retry_after)`) to
        refuse a request outright, for example a credential this plugin recognises but
        rejects.

    .. versionadded:: 0.1
    """


# -- lifecycle ------------------------------------------------------------------------


@hookspec
def startup(daemon: Daemon) -> Awaitable[None] | None:
    """The daemon has opened its storage and loaded (replayed) its tenants, and is about to serve.

    **When:** once per daemon start, in the application's start-up.

    :param daemon: the `myco.daemon.Daemon`. Start background work here and keep its
        handles in `daemon.extras[<plugin name>]`.
    :returns: `None` or an awaitable (`async def` is fine); every result is awaited, in
        call order. An exception stops the start-up.

    .. versionadded:: 0.1
    """


@hookspec
def shutdown(daemon: Daemon) -> Awaitable[None] | None:
    """The daemon is stopping; its storage is still open.

    **When:** once, at application clean-up. The storage is closed afterwards even if an
    implementation raises.

    :param daemon: the `myco.daemon.Daemon`. Stop what `startup` started.
    :returns: `None` or an awaitable (`async def` is fine); every result is awaited, in
        call order.

    .. versionadded:: 0.1
    """


@hookspec
def events_ingested(tenant: Tenant, events: Sequence[Event]) -> None:
    """New events were stored and applied to a tenant's state.

    **When:** after every accepted `POST /events` that applied at least one event (not for
    a post that was only blank lines, nor for a retried post recognised by its `id`).
    Replaying the store at start-up does not call it. A storage backend that replicates
    between daemons will call it for the events a replica learns from the store; no
    built-in backend does yet.

    An implementation that raises is logged with its plugin's name and skipped: the post
    still answers 200, and the other implementations and the live streams (dashboard)
    still get the events. The hook runs on the ingest path and is called synchronously:
    keep it fast and never block. To do I/O, start a task
    (`asyncio.get_running_loop().create_task(...)`) and keep a reference to it. An
    `async def` implementation would never be awaited.

    :param tenant: the `myco.tenants.Tenant`: `tenant.id`, `tenant.state` (the
        `SwarmState`, already updated) and `tenant.daemon`.
    :param events: the applied `myco.protocol.events.Event`s, in sequence order.
    :returns: nothing; the return value is ignored.

    .. versionadded:: 0.1
    """


@hookspec
def tenant_loaded(tenant: Tenant) -> None:
    """A tenant's state is in memory: created, loaded on first use, or loaded again after
    it was evicted.

    **When:** once per load, after the snapshot and the stored records were applied and
    before any request of the tenant is served. Tenants load lazily (on their first
    request), so `startup` sees none: start per-tenant background work here (catching an
    index up, for one). Called synchronously, like `events_ingested`: an implementation
    that raises is logged and skipped; to do I/O, start a task and keep a reference to it.

    :param tenant: the `myco.tenants.Tenant` (a new object at each load).
    :returns: nothing; the return value is ignored.

    .. versionadded:: 0.2
    """


@hookspec
def tenant_evicted(tenant: Tenant) -> None:
    """A tenant idle for `MYCO_TENANT_IDLE_TTL` seconds was dropped from memory (after its
    snapshot); its next request loads it again, as a new object.

    **When:** once per eviction, after the tenant left the daemon's table. Release what the
    plugin holds for it (open files, threads, caches, references to the object) so that
    an idle tenant costs no memory. Called synchronously: an implementation that raises is
    logged and skipped; to do I/O (closing a database), start a task.

    :param tenant: the `myco.tenants.Tenant` that was evicted.
    :returns: nothing; the return value is ignored.

    .. versionadded:: 0.2
    """


# -- command line: options and commands --------------------------------------------


@hookspec
def register_serve_options(options: OptionRegistry) -> None:
    """Add settings of your plugin, as `myco serve` flags and `MYCO_*` variables.

    **When:** when `myco serve` (or `myco serve --help`) builds its command line, before
    the daemon exists.

    Each `myco.options.Option` becomes a flag (default `--name-with-dashes`) and an
    environment variable (default `MYCO_NAME`), and may be set in the settings file
    (`myco serve --config FILE`: TOML, one table per namespace). The value (flag, else
    variable, else file, else default) is stored in the option's namespace of the daemon
    configuration, where the plugin reads it with `option.value(daemon.config)` or
    `daemon.config.plugin(namespace)[name]`. A configuration built without the command
    line (tests, `myco.testing.Swarm`) holds no value, so `option.value` returns the
    default. A plugin blocked with `MYCO_DISABLE_PLUGINS` declares nothing: its flags are
    then unknown to `myco serve`.

    :param options: a `myco.options.OptionRegistry`; call
        `options.add(Option(namespace, name, help, default=..., type=int, choices=(...),
        kind="value" | "flag" | "list"))`. A flag or variable another plugin declared is an
        error naming both namespaces.
    :returns: nothing; the return value is ignored.

    .. versionadded:: 0.2
    """


@hookspec
def register_commands(commands: CommandRegistry) -> None:
    """Add `myco` subcommands.

    **When:** when the command line is built for `myco --help`, `myco serve` or a command
    that is not built in. Client commands such as `myco view` never load plugins, so they
    start fast; import heavy modules inside the command's `run`.

    :param commands: a `myco.cli.registry.CommandRegistry`; call
        `commands.add(Command(name, help, run, configure))`. `configure(parser)` adds the
        command's arguments to its `argparse.ArgumentParser`; `run(args)` returns the exit
        status (`None` is 0) and raises `myco.cli.CommandError` for a one-line failure. A
        name that is built in or already taken is an error.
    :returns: nothing; the return value is ignored.

    .. versionadded:: 0.2
    """
