-- pgbench reference of GET /v1/workspaces/{id}: the simplest SQL a person would write, the row by its primary key,
-- over random seeded workspaces (pgbench cannot build a string in \set: the id is the seed's prefix and number).
-- Variables (-D): ws (the id prefix, ws_<cell code><time part>), workspaces.
\set n random(1, :workspaces)
\set id 10000000000000000 + :n
select * from workspaces where id = :ws::text || :id::text;
