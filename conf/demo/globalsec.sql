-- GlobalSec LLC: rows of FieldServiceDB on globalsec-db.aws.rds.amazonaws.com.
-- Load after fieldservice_schema.sql into a fresh database: the IDENTITY values
-- referenced below (CustomerId, SiteId, UserId) start at 1 there.
-- PasswordHash holds crypt(3) hashes only; the demo passwords are in README.md.
INSERT INTO Customers (Name, Email, Phone, City, Country, CreatedAt)
VALUES
    (N'GlobalSec Vault Services', N'vaults@globalsec.example', N'+1-555-0191', N'Seattle', N'United States', '2024-01-11 09:00:00'),
    (N'GlobalSec Alarm Monitoring', N'alarms@globalsec.example', N'+1-555-0192', N'Tacoma', N'United States', '2024-02-12 09:00:00'),
    (N'東京支店 (GlobalSec Japan)', N'tokyo@globalsec.example', N'+1-555-0193', N'東京', N'Japan', '2024-03-13 09:00:00');
GO

INSERT INTO Sites (CustomerId, Name, Address, Latitude, Longitude)
VALUES
    (1, N'GlobalSec Vault Services Headquarters', N'19 Main Street, Seattle', 40.2500, -100.5000),
    (1, N'GlobalSec Vault Services Warehouse', N'29 Main Street, Seattle', 40.5000, -101.0000),
    (2, N'GlobalSec Alarm Monitoring Headquarters', N'39 Main Street, Tacoma', 40.7500, -101.5000),
    (2, N'GlobalSec Alarm Monitoring Warehouse', N'49 Main Street, Tacoma', 41.0000, -102.0000),
    (3, N'東京支店 (GlobalSec Japan) Headquarters', N'59 Main Street, 東京', 41.2500, -102.5000),
    (3, N'東京支店 (GlobalSec Japan) Warehouse', N'69 Main Street, 東京', 41.5000, -103.0000);
GO

INSERT INTO Users (Username, DisplayName, PasswordHash, Role, IsActive)
VALUES
    (N'bob@globalsec.com', N'Bob Martin', N'$y$j9T$/lDJ9k2kSgMmk8oIR6HTK.$8WqqKJsB6nU.owwcIbyCgcY/NzTF/XAzs8pdmCuHLz7', N'admin', 1),
    (N'juergen@globalsec.com', N'Jürgen Weiß', N'$2b$12$gjNSYEg6Pt0/qyXGpHt8zO1N3he53x70bHTJd.FkNYVIgmoYl2LMm', N'technician', 1);
GO

INSERT INTO Tickets (SiteId, Title, Description, Status, Priority, AssignedTo, CreatedAt, UpdatedAt)
VALUES
    (1, N'GlobalSec: HVAC unit not cooling', N'Compressor cycles every few minutes. (GlobalSec site 1)', N'InProgress', 3, 2, '2024-05-01 08:07:00', '2024-06-01 16:30:00'),
    (1, N'GlobalSec: Badge reader offline', N'Reader at the loading dock shows a red light. (GlobalSec site 1)', N'Resolved', 4, 1, '2024-05-02 08:14:00', '2024-06-02 16:30:00'),
    (1, N'GlobalSec: Quarterly fire extinguisher check', NULL, N'Closed', 5, 2, '2024-05-03 08:21:00', '2024-06-03 16:30:00'),
    (2, N'GlobalSec: Badge reader offline', N'Reader at the loading dock shows a red light. (GlobalSec site 2)', N'Resolved', 5, 1, '2024-05-04 08:28:00', '2024-06-04 16:30:00'),
    (2, N'GlobalSec: Quarterly fire extinguisher check', NULL, N'Closed', 1, 2, '2024-05-05 08:35:00', '2024-06-05 16:30:00'),
    (3, N'GlobalSec: Quarterly fire extinguisher check', NULL, N'Closed', 2, 2, '2024-05-06 08:42:00', '2024-06-06 16:30:00'),
    (3, N'GlobalSec: Backup generator test', N'Run the generator under load for 30 minutes. (GlobalSec site 3)', N'Open', 3, NULL, '2024-05-07 08:49:00', NULL),
    (3, N'GlobalSec: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (GlobalSec site 3)', N'InProgress', 4, 2, '2024-05-08 08:56:00', '2024-06-08 16:30:00'),
    (4, N'GlobalSec: Backup generator test', N'Run the generator under load for 30 minutes. (GlobalSec site 4)', N'Open', 4, NULL, '2024-05-09 08:03:00', NULL),
    (4, N'GlobalSec: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (GlobalSec site 4)', N'InProgress', 5, 2, '2024-05-10 08:10:00', '2024-06-10 16:30:00'),
    (5, N'GlobalSec: Leaking roof over server room', N'Water stains on ceiling tiles near rack B. (GlobalSec site 5)', N'InProgress', 1, 2, '2024-05-11 08:17:00', '2024-06-11 16:30:00'),
    (5, N'GlobalSec: HVAC unit not cooling', N'Compressor cycles every few minutes. (GlobalSec site 5)', N'Resolved', 2, 1, '2024-05-12 08:24:00', '2024-06-12 16:30:00'),
    (5, N'GlobalSec: Badge reader offline', N'Reader at the loading dock shows a red light. (GlobalSec site 5)', N'Closed', 3, 2, '2024-05-13 08:31:00', '2024-06-13 16:30:00'),
    (6, N'GlobalSec: HVAC unit not cooling', N'Compressor cycles every few minutes. (GlobalSec site 6)', N'Resolved', 3, 1, '2024-05-14 08:38:00', '2024-06-14 16:30:00'),
    (6, N'GlobalSec: Badge reader offline', N'Reader at the loading dock shows a red light. (GlobalSec site 6)', N'Closed', 4, 2, '2024-05-15 08:45:00', '2024-06-15 16:30:00');
GO
