"""The index rows move here from coordination: state only, the tables keep their names (no data moves).

The tables coordination_caseindex and coordination_slipindex were created by coordination's
migrations 0001-0005; this migration only tells Django's model state that hallindex owns them now.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('deadlines', '0004_deadline_open_by_hall'),
        ('tenants', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('coordination', '0005_portal_open_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CaseIndex',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('case_id', models.PositiveIntegerField(verbose_name='case id in the hall')),
                        ('number', models.CharField(max_length=24, verbose_name='NO')),
                        ('channel', models.CharField(max_length=12, verbose_name='channel')),
                        ('applicant_kind', models.CharField(max_length=12, verbose_name='applicant kind')),
                        ('matter_name', models.CharField(max_length=200, verbose_name='matter')),
                        ('matter_key', models.CharField(blank=True, db_index=True, max_length=200, verbose_name='matter (grouped)')),
                        ('handling_category', models.CharField(blank=True, max_length=16, verbose_name='handling category')),
                        ('complexity', models.CharField(blank=True, max_length=10, verbose_name='complexity')),
                        ('status', models.CharField(max_length=20, verbose_name='status')),
                        ('result', models.CharField(blank=True, max_length=12, verbose_name='result')),
                        ('exclusion_reason', models.CharField(blank=True, max_length=16, verbose_name='reason not accepted')),
                        ('flagged_for_supervision', models.BooleanField(default=False, verbose_name='flagged for supervision')),
                        ('meeting_requested', models.BooleanField(default=False, verbose_name='joint meeting requested')),
                        ('satisfaction', models.CharField(blank=True, max_length=20, verbose_name='satisfaction')),
                        ('repeat_reporter', models.BooleanField(default=False, verbose_name='the person reported before')),
                        ('reopened_count', models.PositiveSmallIntegerField(default=0, verbose_name='times reopened')),
                        ('registered_at', models.DateTimeField(verbose_name='registered at')),
                        ('screened_at', models.DateTimeField(blank=True, null=True, verbose_name='screened at')),
                        ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='answered at')),
                        ('transferred_at', models.DateTimeField(blank=True, null=True, verbose_name='transferred at')),
                        ('replied_at', models.DateTimeField(blank=True, null=True, verbose_name='replied at')),
                        ('fed_back_at', models.DateTimeField(blank=True, null=True, verbose_name='fed back at')),
                        ('followed_up_at', models.DateTimeField(blank=True, null=True, verbose_name='followed up at')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('hall', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenants.hall', verbose_name='hall')),
                    ],
                    options={
                        'verbose_name': 'case (index)',
                        'verbose_name_plural': 'cases (index)',
                        'db_table': 'coordination_caseindex',
                        'indexes': [models.Index(fields=['hall', 'status'], name='caseindex_hall_status'), models.Index(fields=['hall', 'registered_at'], name='caseindex_hall_registered'), models.Index(fields=['registered_at'], name='caseindex_registered'), models.Index(condition=models.Q(('status__in', ['closed', 'not_accepted']), _negated=True), fields=['hall'], include=('id', 'flagged_for_supervision'), name='caseindex_open_by_hall'), models.Index(condition=models.Q(('flagged_for_supervision', True), models.Q(('status__in', ['closed', 'not_accepted']), _negated=True)), fields=['registered_at'], name='caseindex_flagged_open')],
                        'constraints': [models.UniqueConstraint(fields=('hall', 'case_id'), name='caseindex_one_per_case')],
                    },
                ),
                migrations.CreateModel(
                    name='SlipIndex',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('slip_id', models.PositiveIntegerField(verbose_name='slip id in the hall')),
                        ('case_id', models.PositiveIntegerField(verbose_name='case id in the hall')),
                        ('slip_number', models.CharField(max_length=30, verbose_name='slip number')),
                        ('case_number', models.CharField(max_length=24, verbose_name='NO')),
                        ('matter_name', models.CharField(max_length=200, verbose_name='matter')),
                        ('handling_category', models.CharField(blank=True, max_length=16, verbose_name='handling category')),
                        ('complexity', models.CharField(max_length=10, verbose_name='complexity')),
                        ('status', models.CharField(max_length=20, verbose_name='status')),
                        ('result', models.CharField(blank=True, max_length=12, verbose_name='result')),
                        ('flagged_for_supervision', models.BooleanField(default=False, verbose_name='flagged for supervision')),
                        ('sent_at', models.DateTimeField(verbose_name='sent at')),
                        ('received_at', models.DateTimeField(blank=True, null=True, verbose_name='received at')),
                        ('replied_at', models.DateTimeField(blank=True, null=True, verbose_name='replied at')),
                        ('returned_at', models.DateTimeField(blank=True, null=True, verbose_name='returned at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('assigned_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assigned to')),
                        ('deadline', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='deadlines.deadline', verbose_name='deadline')),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenants.department', verbose_name='department')),
                        ('hall', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenants.hall', verbose_name='hall')),
                        ('received_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='received by')),
                    ],
                    options={
                        'verbose_name': 'transfer slip (index)',
                        'verbose_name_plural': 'transfer slips (index)',
                        'db_table': 'coordination_slipindex',
                        'indexes': [models.Index(fields=['department', 'status', '-sent_at'], name='slipindex_inbox'), models.Index(fields=['department', '-sent_at'], name='slipindex_inbox_all'), models.Index(fields=['hall', 'case_id'], name='slipindex_case'), models.Index(condition=models.Q(('status__in', ['sent', 'received', 'awaiting_supplement'])), fields=['hall'], include=('id', 'deadline'), name='slipindex_open_by_hall')],
                        'constraints': [models.UniqueConstraint(fields=('hall', 'slip_id'), name='slipindex_one_per_slip')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
