-- pgbench reference of GET /v1/workspaces?limit=100 by one user: the simplest SQL a person would write, the user's
-- memberships joined to their workspaces, newest first, one page; a random one of the benchmark's users.
-- Variables (-D): users.
\set u random(1, :users)
select w.*
from workspace_members m join workspaces w on w.id = m.workspace_id
where m.user_id = 'bench-user-' || lpad(:u::text, 2, '0')
order by w.created_at desc, w.id desc
limit 100;
