-- pgbench reference of GET /v1/workspaces/{id} with the authorization a person would add to the primary-key select
-- (get_workspace.sql): the row by its id joined to the caller's membership, in one statement, over random seeded
-- workspaces, as the benchmark user (a member of every seeded workspace).
-- Variables (-D): ws (the id prefix, ws_<cell code><time part>), workspaces, user.
\set n random(1, :workspaces)
\set id 10000000000000000 + :n
select w.*, m.role
from workspaces w join workspace_members m on m.workspace_id = w.id and m.user_id = :user
where w.id = :ws::text || :id::text;
