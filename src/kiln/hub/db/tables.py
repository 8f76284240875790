"""SQLAlchemy Core table definitions: the schema that migrations produce.

Times are stored as float epoch seconds: portable between SQLite and
PostgreSQL, and what the wire's ``*_ts`` fields want anyway.

Versioned tables (see ``versioned.py``) carry ``create_event``,
``revoke_event``, ``creator_id``, ``revoker_id`` and ``active``.  ``active`` is
TRUE for the live row and NULL once revoked, so a unique constraint that
includes it allows one live row per key and any number of revoked ones, on
both engines (NULLs are distinct in unique constraints).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


VERSIONING = ("create_event", "revoke_event", "creator_id", "revoker_id", "active")


def versioning_columns() -> list[Column]:
    """The history columns every versioned table carries."""
    return [
        Column("create_event", Integer, ForeignKey("events.id"), nullable=False),
        Column("revoke_event", Integer, ForeignKey("events.id"), nullable=True),
        Column("creator_id", Integer, ForeignKey("users.id"), nullable=True),
        Column("revoker_id", Integer, ForeignKey("users.id"), nullable=True),
        Column("active", Boolean, nullable=True, default=True),
    ]


events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("time", Float, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("password", Text, nullable=True),  # a salted hash, never clear text
    Column("status", Integer, nullable=False, default=0),
    Column("usertype", Integer, nullable=False, default=0),
)

user_krb_principals = Table(
    "user_krb_principals",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("krb_principal", String(255), nullable=False, unique=True),
)

permissions = Table(
    "permissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text, nullable=True),
)

user_perms = Table(
    "user_perms",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("perm_id", Integer, ForeignKey("permissions.id"), nullable=False),
    *versioning_columns(),
    UniqueConstraint("user_id", "perm_id", "active", name="uq_user_perms_live"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("key", String(255), nullable=False),  # sha256 of the key the client holds
    Column("master", Integer, ForeignKey("sessions.id"), nullable=True, index=True),
    Column("authtype", Integer, nullable=False, default=0),
    Column("hostip", String(255), nullable=True),
    Column("callnum", Integer, nullable=True),
    Column("start_time", Float, nullable=False),
    Column("update_time", Float, nullable=False),
    Column("renew_time", Float, nullable=True),
    Column("expired", Boolean, nullable=False, default=False),
    # TRUE or NULL: the unique constraint allows one exclusive session per user.
    Column("exclusive", Boolean, nullable=True),
    Column("closed", Boolean, nullable=False, default=False),
    UniqueConstraint("user_id", "exclusive", name="uq_sessions_exclusive"),
)

channels = Table(
    "channels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("comment", Text, nullable=True),
)

host = Table(
    "host",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, unique=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("update_time", Float, nullable=True),
    Column("ready", Boolean, nullable=False, default=False),
    Column("task_load", Float, nullable=False, default=0.0),
)

host_config = Table(
    "host_config",
    metadata,
    Column("host_id", Integer, ForeignKey("host.id"), nullable=False),
    Column("arches", Text, nullable=True),
    Column("capacity", Float, nullable=False, default=2.0),
    Column("description", Text, nullable=True),
    Column("comment", Text, nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    *versioning_columns(),
    UniqueConstraint("host_id", "active", name="uq_host_config_live"),
)

host_channels = Table(
    "host_channels",
    metadata,
    Column("host_id", Integer, ForeignKey("host.id"), nullable=False),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    *versioning_columns(),
    UniqueConstraint("host_id", "channel_id", "active", name="uq_host_channels_live"),
)

# Tables whose every change is an event, as queryHistory names them.
VERSIONED_TABLES: dict[str, Table] = {
    "user_perms": user_perms,
    "host_config": host_config,
    "host_channels": host_channels,
}

# Tasks: Koji's task table, with times as epoch floats.  ``weight`` is the
# effective weight the scheduler counts; ``base_weight`` the starting weight it
# was raised from (see domain/weights.py).  ``assign_time`` dates the last
# move to ASSIGNED, for the assignment timeout.
task = Table(
    "task",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("state", Integer, nullable=False),
    Column("create_time", Float, nullable=False),
    Column("start_time", Float, nullable=True),
    Column("completion_time", Float, nullable=True),
    Column("assign_time", Float, nullable=True),
    Column("channel_id", Integer, ForeignKey("channels.id"), nullable=False),
    Column("host_id", Integer, ForeignKey("host.id"), nullable=True),
    Column("parent", Integer, ForeignKey("task.id"), nullable=True),
    Column("label", String(255), nullable=True),
    Column("waiting", Boolean, nullable=True),
    Column("awaited", Boolean, nullable=True),
    Column("owner", Integer, ForeignKey("users.id"), nullable=False),
    Column("method", Text, nullable=False),
    Column("request", Text, nullable=False),
    Column("result", Text, nullable=True),
    Column("eta", Integer, nullable=True),
    Column("arch", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("weight", Float, nullable=False, default=1.0),
    Column("base_weight", Float, nullable=False, default=1.0),
    UniqueConstraint("parent", "label", name="uq_task_parent_label"),
)
Index("ix_task_state_channel_arch", task.c.state, task.c.channel_id, task.c.arch, task.c.priority, task.c.id)
Index("ix_task_host_state", task.c.host_id, task.c.state)
Index("ix_task_owner_state", task.c.owner, task.c.state, task.c.id)
# Pages of the newest tasks by state or by owner walk these in order.
Index("ix_task_state_id", task.c.state, task.c.id)
Index("ix_task_owner_id", task.c.owner, task.c.id)
Index("ix_task_parent", task.c.parent)
Index("ix_task_method_state", task.c.method, task.c.state)

# A host's refusal of a task: the scheduler offers the task to other hosts.
task_refusals = Table(
    "task_refusals",
    metadata,
    Column("task_id", Integer, ForeignKey("task.id"), nullable=False),
    Column("host_id", Integer, ForeignKey("host.id"), nullable=False),
    Column("soft", Boolean, nullable=False, default=True),
    Column("by_host", Boolean, nullable=False, default=True),
    Column("msg", Text, nullable=True),
    Column("time", Float, nullable=False),
    UniqueConstraint("task_id", "host_id", name="uq_task_refusals_task_host"),
)

# What the scheduler did and why (Koji's scheduler_log_messages).
scheduler_log = Table(
    "scheduler_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("task.id"), nullable=True, index=True),
    Column("host_id", Integer, ForeignKey("host.id"), nullable=True),
    Column("msg_time", Float, nullable=False),
    Column("msg", Text, nullable=False),
)

# Recorded run times per task method, for raising starting weights.
task_method_stats = Table(
    "task_method_stats",
    metadata,
    Column("method", String(255), primary_key=True),
    Column("runs", Integer, nullable=False, default=0),
    Column("mean_duration", Float, nullable=False, default=0.0),
)

# One row: when the periodic checks (dead hosts, stale assignments) last ran.
scheduler_state = Table(
    "scheduler_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_sweep", Float, nullable=False, default=0.0),
)

# -- tags, packages, targets: Koji's tables; every change of a tag's content is an event.

package = Table(
    "package",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
)

tag = Table(
    "tag",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
)

tag_config = Table(
    "tag_config",
    metadata,
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("arches", Text, nullable=True),
    Column("perm_id", Integer, ForeignKey("permissions.id"), nullable=True),
    Column("locked", Boolean, nullable=False, default=False),
    Column("maven_support", Boolean, nullable=False, default=False),
    Column("maven_include_all", Boolean, nullable=False, default=False),
    *versioning_columns(),
    UniqueConstraint("tag_id", "active", name="uq_tag_config_live"),
)

# A value of NULL blocks the key for tags that inherit it (Koji's block_extra).
tag_extra = Table(
    "tag_extra",
    metadata,
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("value", Text, nullable=True),  # JSON
    *versioning_columns(),
    UniqueConstraint("tag_id", "key", "active", name="uq_tag_extra_live"),
)

tag_inheritance = Table(
    "tag_inheritance",
    metadata,
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("parent_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("maxdepth", Integer, nullable=True),
    Column("intransitive", Boolean, nullable=False, default=False),
    Column("noconfig", Boolean, nullable=False, default=False),
    Column("pkg_filter", Text, nullable=False, default=""),
    *versioning_columns(),
    UniqueConstraint("tag_id", "parent_id", "active", name="uq_tag_inheritance_live"),
)
Index("ix_tag_inheritance_parent", tag_inheritance.c.parent_id, tag_inheritance.c.active)

tag_packages = Table(
    "tag_packages",
    metadata,
    Column("package_id", Integer, ForeignKey("package.id"), nullable=False),
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("blocked", Boolean, nullable=False, default=False),
    Column("extra_arches", Text, nullable=True),
    *versioning_columns(),
    UniqueConstraint("package_id", "tag_id", "active", name="uq_tag_packages_live"),
)
Index("ix_tag_packages_tag", tag_packages.c.tag_id, tag_packages.c.active)

tag_package_owners = Table(
    "tag_package_owners",
    metadata,
    Column("package_id", Integer, ForeignKey("package.id"), nullable=False),
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("owner", Integer, ForeignKey("users.id"), nullable=False),
    *versioning_columns(),
    UniqueConstraint("package_id", "tag_id", "active", name="uq_tag_package_owners_live"),
)

build_target = Table(
    "build_target",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
)

build_target_config = Table(
    "build_target_config",
    metadata,
    Column("build_target_id", Integer, ForeignKey("build_target.id"), nullable=False),
    Column("build_tag", Integer, ForeignKey("tag.id"), nullable=False),
    Column("dest_tag", Integer, ForeignKey("tag.id"), nullable=False),
    *versioning_columns(),
    UniqueConstraint("build_target_id", "active", name="uq_build_target_config_live"),
)

VERSIONED_TABLES.update(
    {
        "tag_config": tag_config,
        "tag_extra": tag_extra,
        "tag_inheritance": tag_inheritance,
        "tag_packages": tag_packages,
        "tag_package_owners": tag_package_owners,
        "build_target_config": build_target_config,
    }
)

# -- builds and tagged builds ---------------------------------------------------

volume = Table(
    "volume",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(255), nullable=False, unique=True),
)

# One NVR is built once: (pkg_id, version, release) is unique.  Koji's ``extra``
# is JSON text; ``create_event`` dates the build (Koji's creation_event_id).
build = Table(
    "build",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pkg_id", Integer, ForeignKey("package.id"), nullable=False),
    Column("version", String(255), nullable=False),
    Column("release", String(255), nullable=False),
    Column("epoch", Integer, nullable=True),
    Column("draft", Boolean, nullable=False, default=False),
    Column("state", Integer, nullable=False),
    Column("task_id", Integer, ForeignKey("task.id"), nullable=True),
    Column("owner", Integer, ForeignKey("users.id"), nullable=False),
    Column("create_event", Integer, ForeignKey("events.id"), nullable=False),
    Column("start_time", Float, nullable=True),
    Column("completion_time", Float, nullable=True),
    Column("volume_id", Integer, ForeignKey("volume.id"), nullable=False, default=0),
    Column("source", Text, nullable=True),
    Column("extra", Text, nullable=True),
    UniqueConstraint("pkg_id", "version", "release", name="uq_build_nvr"),
)
Index("ix_build_task", build.c.task_id)
Index("ix_build_owner", build.c.owner)
Index("ix_build_state", build.c.state, build.c.id)

tag_listing = Table(
    "tag_listing",
    metadata,
    Column("build_id", Integer, ForeignKey("build.id"), nullable=False),
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    *versioning_columns(),
    UniqueConstraint("build_id", "tag_id", "active", name="uq_tag_listing_live"),
)
Index("ix_tag_listing_tag", tag_listing.c.tag_id, tag_listing.c.active)

VERSIONED_TABLES["tag_listing"] = tag_listing

# Koji's rpminfo: one row per RPM file kiln knows (external_repo_id 0: built here).
rpminfo = Table(
    "rpminfo",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("build_id", Integer, ForeignKey("build.id"), nullable=True),
    Column("buildroot_id", Integer, nullable=True),
    Column("name", String(255), nullable=False),
    Column("version", String(255), nullable=False),
    Column("release", String(255), nullable=False),
    Column("epoch", Integer, nullable=True),
    Column("arch", String(16), nullable=False),
    Column("draft", Boolean, nullable=False, default=False),
    Column("external_repo_id", Integer, nullable=False, default=0),
    Column("payloadhash", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("buildtime", BigInteger, nullable=False),
    Column("metadata_only", Boolean, nullable=False, default=False),
    Column("extra", Text, nullable=True),
    UniqueConstraint("name", "version", "release", "arch", "external_repo_id", name="uq_rpminfo_nvra"),
)
Index("ix_rpminfo_build", rpminfo.c.build_id)

# Build roots builders made, and what each held (Koji's buildroot + standard_buildroot
# in one table).  ``repo_id`` stays empty until kiln has repos; a listing entry
# names its RPM (``rpm_id`` when kiln has it on record) so a build's inputs are
# known either way.
buildroot = Table(
    "buildroot",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("host_id", Integer, ForeignKey("host.id"), nullable=False),
    Column("arch", String(16), nullable=False),
    Column("task_id", Integer, ForeignKey("task.id"), nullable=True),
    Column("repo_id", Integer, nullable=True),
    Column("state", Integer, nullable=False),
    Column("container_type", String(32), nullable=False, default="chroot"),
    Column("create_event", Integer, ForeignKey("events.id"), nullable=False),
    Column("retire_event", Integer, ForeignKey("events.id"), nullable=True),
    Column("extra", Text, nullable=True),
)
Index("ix_buildroot_task", buildroot.c.task_id)
Index("ix_buildroot_host_state", buildroot.c.host_id, buildroot.c.state)

buildroot_listing = Table(
    "buildroot_listing",
    metadata,
    Column("buildroot_id", Integer, ForeignKey("buildroot.id"), nullable=False),
    Column("rpm_id", Integer, ForeignKey("rpminfo.id"), nullable=True),
    Column("name", String(255), nullable=False),
    Column("version", String(255), nullable=False),
    Column("release", String(255), nullable=False),
    Column("epoch", Integer, nullable=True),
    Column("arch", String(16), nullable=False),
    Column("is_update", Boolean, nullable=False, default=False),
    UniqueConstraint("buildroot_id", "name", "arch", name="uq_buildroot_listing_entry"),
)
Index("ix_buildroot_listing_rpm", buildroot_listing.c.rpm_id)

# -- repos ------------------------------------------------------------------------

# A repo is the content of a tag at one event (Koji's repo table): made by a
# newRepo task, READY once its metadata is in place, EXPIRED when newer ones
# replace it, DELETED once its directory is gone.  ``opts``/``custom_opts``
# are JSON text (Koji's repo options; custom: those differing from the tag's).
repo = Table(
    "repo",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("create_event", Integer, ForeignKey("events.id"), nullable=False),
    Column("begin_event", Integer, ForeignKey("events.id"), nullable=True),
    Column("end_event", Integer, ForeignKey("events.id"), nullable=True),
    Column("state", Integer, nullable=False),
    Column("dist", Boolean, nullable=False, default=False),
    Column("opts", Text, nullable=False),
    Column("custom_opts", Text, nullable=False),
    Column("task_id", Integer, ForeignKey("task.id"), nullable=True),
    Column("creation_time", Float, nullable=False),
    Column("state_time", Float, nullable=False),
)
Index("ix_repo_tag_state", repo.c.tag_id, repo.c.state, repo.c.create_event)

# Requests for repos (Koji 1.35's repo_queue): answered by the first READY repo
# of the tag that is new enough; ``active`` until then.
repo_queue = Table(
    "repo_queue",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner", Integer, ForeignKey("users.id"), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("at_event", Integer, nullable=True),
    Column("min_event", Integer, nullable=True),
    Column("opts", Text, nullable=False),
    Column("create_time", Float, nullable=False),
    Column("update_time", Float, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("task_id", Integer, ForeignKey("task.id"), nullable=True),
    Column("tries", Integer, nullable=False, default=0),
    Column("repo_id", Integer, ForeignKey("repo.id"), nullable=True),
)
Index("ix_repo_queue_tag_active", repo_queue.c.tag_id, repo_queue.c.active)

# -- comps groups ---------------------------------------------------------------

# Koji's groups: a name (``groups``), its configuration in a tag
# (``group_config``), the packages in it (``group_package_listing``) and the
# groups it requires (``group_req_listing``); all but the names versioned.
groups = Table(
    "groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
)

group_config = Table(
    "group_config",
    metadata,
    Column("group_id", Integer, ForeignKey("groups.id"), nullable=False),
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("blocked", Boolean, nullable=False, default=False),
    Column("exported", Boolean, nullable=False, default=True),
    Column("display_name", Text, nullable=False),
    Column("is_default", Boolean, nullable=True),
    Column("uservisible", Boolean, nullable=False, default=True),
    Column("description", Text, nullable=True),
    Column("langonly", Text, nullable=True),
    Column("biarchonly", Boolean, nullable=False, default=False),
    *versioning_columns(),
    UniqueConstraint("group_id", "tag_id", "active", name="uq_group_config_live"),
)
Index("ix_group_config_tag", group_config.c.tag_id, group_config.c.active)

group_req_listing = Table(
    "group_req_listing",
    metadata,
    Column("group_id", Integer, ForeignKey("groups.id"), nullable=False),
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("req_id", Integer, ForeignKey("groups.id"), nullable=False),
    Column("blocked", Boolean, nullable=False, default=False),
    Column("type", String(32), nullable=False, default="mandatory"),
    Column("is_metapkg", Boolean, nullable=False, default=False),
    *versioning_columns(),
    UniqueConstraint("group_id", "tag_id", "req_id", "active", name="uq_group_req_listing_live"),
)
Index("ix_group_req_listing_tag", group_req_listing.c.tag_id, group_req_listing.c.active)

group_package_listing = Table(
    "group_package_listing",
    metadata,
    Column("group_id", Integer, ForeignKey("groups.id"), nullable=False),
    Column("tag_id", Integer, ForeignKey("tag.id"), nullable=False),
    Column("package", Text, nullable=False),
    Column("blocked", Boolean, nullable=False, default=False),
    Column("type", String(32), nullable=False, default="mandatory"),
    Column("basearchonly", Boolean, nullable=True),
    Column("requires", Text, nullable=True),
    *versioning_columns(),
    UniqueConstraint("group_id", "tag_id", "package", "active", name="uq_group_package_listing_live"),
)
Index("ix_group_package_listing_tag", group_package_listing.c.tag_id, group_package_listing.c.active)

VERSIONED_TABLES.update(
    {
        "group_config": group_config,
        "group_req_listing": group_req_listing,
        "group_package_listing": group_package_listing,
    }
)
